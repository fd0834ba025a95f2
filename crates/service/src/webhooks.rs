//! Alert webhooks: each hit is POSTed as JSON to the agencies' registered URLs, signed with
//! `X-Sightline-Signature: sha256=<HMAC-SHA256(secret, body)>`, and retried with exponential
//! backoff (1, 2, 4, 8, 16 s) on a connection error or a non-2xx answer. Deliveries run on their
//! own tasks, so a slow or dead receiver never blocks ingest or other alerts. Plain `http://` only:
//! put a TLS-terminating proxy in front for `https://` receivers. Receivers on loopback,
//! private, link-local and metadata addresses are refused unless the operator allows the host.

use crate::changes::Change;
use crate::error::{Error, Result};
use crate::hotlists::excerpt;
use crate::node::Node;
use crate::permissions::{Caller, Permission};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde_json::json;
use sightline_hotlist::Hit;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Attempts per delivery.
const ATTEMPTS: u32 = 6;

/// Answer of registering a webhook: the secret is shown only here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookCreated {
    /// Id.
    pub id: i64,
    /// The URL.
    pub url: String,
    /// The signing secret (hex); verify `X-Sightline-Signature` with it.
    pub secret: String,
    /// Audit entry.
    pub audit_seq: u64,
}

impl Node {
    /// Registers a webhook for the caller's agency (audited).
    ///
    /// # Errors
    /// 403 without `manage_webhooks`; 400 for a URL that is not `http://host[:port]/path` or
    /// that names a loopback, private, link-local or metadata address the operator has not
    /// allowed.
    pub fn add_webhook(&self, caller: &Caller, url: &str) -> Result<WebhookCreated> {
        let agency = caller.acting_for(Permission::ManageWebhooks, None)?;
        if url.len() > 2000 {
            return Err(Error::bad_request(
                "webhook URLs are at most 2000 characters",
            ));
        }
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| Error::bad_request(format!("`{}` is not a URL", excerpt(url))))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(Error::bad_request(
                "webhook URLs must be http://host[:port]/path (put a TLS proxy in front for https)",
            ));
        }
        let host = uri.host().unwrap_or_default();
        if !self.webhook_host_allowed(host) {
            return Err(Error::bad_request(format!(
                "webhook host `{host}` is a loopback, private, link-local or metadata address; the node operator must allow it (webhook_allow_hosts)"
            )));
        }
        let secret = crate::secrets::new_secret("");
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::WebhookCreate {
                agency: agency.clone(),
                url: url.to_owned(),
                secret: secret.clone(),
                by: caller.name(),
            })
        })?;
        let id = self
            .hotlists
            .webhooks(&agency)?
            .into_iter()
            .find(|(_, u, s)| u == url && *s == secret)
            .map_or(0, |(id, _, _)| id);
        Ok(WebhookCreated {
            id,
            url: url.to_owned(),
            secret,
            audit_seq: seq,
        })
    }

    /// Ends one of the caller's agency's webhooks (no more deliveries).
    ///
    /// # Errors
    /// 403 without `manage_webhooks`; 404 when the agency has no such webhook.
    pub fn end_webhook(&self, caller: &Caller, id: i64) -> Result<u64> {
        let agency = caller.acting_for(Permission::ManageWebhooks, None)?;
        if !self
            .hotlists
            .webhooks(&agency)?
            .iter()
            .any(|(w, _, _)| *w == id)
        {
            return Err(Error::not_found(format!("webhook {id} not found")));
        }
        let (_, seq) = self.commit(caller, |_| {
            Ok(Change::WebhookEnd {
                id,
                agency: agency.clone(),
            })
        })?;
        Ok(seq)
    }

    /// Tells whether a webhook host may be used: allowed by the operator, or neither a name that
    /// means this machine nor an address outside the public internet.
    pub fn webhook_host_allowed(&self, host: &str) -> bool {
        let bare = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if self
            .config
            .webhook_allow_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&bare))
        {
            return true;
        }
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return is_public(ip);
        }
        !(bare == "localhost"
            || bare.ends_with(".localhost")
            || bare.ends_with(".local")
            || bare.ends_with(".internal")
            || bare == "metadata.google.internal")
    }

    /// Sends a hit to every webhook of the list owner and the camera owner.
    pub fn deliver_webhooks(self: &Arc<Self>, hit: &Hit) {
        let mut agencies = vec![hit.list_owner.clone()];
        if hit.camera_owner != hit.list_owner {
            agencies.push(hit.camera_owner.clone());
        }
        let body = match serde_json::to_vec(&json!({ "event": "hit", "hit": hit })) {
            Ok(b) => Bytes::from(b),
            Err(_) => return,
        };
        for agency in agencies {
            let hooks = match self.hotlists.webhooks(&agency) {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!(error = %e, "reading webhooks failed");
                    continue;
                }
            };
            for (id, url, secret) in hooks {
                let signature = sightline_hotlist::edge::sign_webhook(secret.as_bytes(), &body);
                let body = body.clone();
                let hit_id = hit.id;
                let node = self.clone();
                tokio::spawn(async move {
                    match node.resolve_webhook(&url).await {
                        Some((uri, host)) => deliver(id, uri, host, signature, body, hit_id).await,
                        None => tracing::warn!(
                            webhook = id,
                            "webhook host resolves to a refused address; not delivered"
                        ),
                    }
                });
            }
        }
    }
}

impl Node {
    /// Resolves a webhook URL once and checks every address: the request then goes to that
    /// address (with the original `Host`), so a name that re-resolves to an internal address
    /// between the check and the connection cannot redirect it.
    async fn resolve_webhook(&self, url: &str) -> Option<(String, String)> {
        let uri: hyper::Uri = url.parse().ok()?;
        let host = uri.host()?.to_owned();
        let port = uri.port_u16().unwrap_or(80);
        let allowed_by_operator =
            self.config.webhook_allow_hosts.iter().any(|h| {
                h.eq_ignore_ascii_case(host.trim_start_matches('[').trim_end_matches(']'))
            });
        let addrs: Vec<std::net::SocketAddr> =
            tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port))
                .await
                .ok()?
                .collect();
        let first = *addrs.first()?;
        if !allowed_by_operator && !addrs.iter().all(|a| is_public(a.ip())) {
            return None;
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let authority = match uri.port_u16() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        Some((format!("http://{first}{path}"), authority))
    }
}

/// Tells whether an address is on the public internet (not loopback, private, link-local,
/// carrier-grade NAT, documentation, multicast, unspecified or cloud metadata).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)
                || (seg[0] == 0xfd00 && seg[1] == 0x0ec2))
        }
    }
}

async fn deliver(
    webhook: i64,
    url: String,
    host: String,
    signature: String,
    body: Bytes,
    hit_id: i64,
) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=ATTEMPTS {
        let request = hyper::Request::post(&url)
            .header("host", &host)
            .header("content-type", "application/json")
            .header("x-sightline-event", "hit")
            .header("x-sightline-delivery", hit_id.to_string())
            .header("x-sightline-signature", &signature)
            .body(Full::new(body.clone()));
        let outcome = match request {
            Ok(req) => {
                match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
                    Ok(Ok(resp)) if resp.status().is_success() => return,
                    Ok(Ok(resp)) => format!("status {}", resp.status()),
                    Ok(Err(e)) => e.to_string(),
                    Err(_) => "timed out".into(),
                }
            }
            Err(e) => {
                tracing::warn!(webhook, error = %e, "webhook request invalid");
                return;
            }
        };
        tracing::warn!(webhook, attempt, outcome = %outcome, "webhook delivery failed");
        if attempt < ATTEMPTS {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    tracing::warn!(
        webhook,
        hit_id,
        "webhook delivery abandoned after {ATTEMPTS} attempts"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_internal_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "fc00::1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }
}
