"""Tests for the plate-text label format and the labelling tool (standard library only).

    python3 -m unittest discover -s training -p 'test_*.py'
"""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import label_plates  # noqa: E402
import labels  # noqa: E402

HEAD = "\t".join(labels.HEADER) + "\n"


class FormatTest(unittest.TestCase):
    def test_round_trip(self):
        items = [
            labels.Label("a.jpg", (1.5, 2.0, 80.0, 30.25), "ABC123", "US-CA", "train"),
            labels.Label("a.jpg", (100, 2, 170, 30), labels.ILLEGIBLE, "?", "train"),
            labels.Label("b.jpg", (0, 0, 61, 20), "M270YGH", "GB", "dev"),
        ]
        back = labels.parse(labels.dumps(items).splitlines())
        self.assertEqual(back, items)
        self.assertEqual([x.legible for x in back], [True, False, True])
        self.assertAlmostEqual(back[0].width, 78.5)

    def test_rejects_bad_lines(self):
        bad = [
            "a.jpg\t1\t2\t3\n",  # too few fields
            "a.jpg\t1\t2\tx\t4\tABC\t?\ttrain\n",  # box not a number
            "a.jpg\t5\t2\t3\t4\tABC\t?\ttrain\n",  # empty box
            "a.jpg\t1\t2\t3\t4\tab-1\t?\ttrain\n",  # text not normalised
            "a.jpg\t1\t2\t3\t4\tILLEGIBLE\t?\ttrain\n",  # the marker is lower case
            "a.jpg\t1\t2\t3\t4\tABC\tCalifornia\ttrain\n",  # region
            "a.jpg\t1\t2\t3\t4\tABC\t?\tvalid\n",  # split
        ]
        for line in bad:
            with self.assertRaises(labels.LabelError, msg=line):
                labels.parse((HEAD + line).splitlines(), "t.tsv")

    def test_error_names_the_line(self):
        with self.assertRaisesRegex(labels.LabelError, r"t.tsv:3"):
            labels.parse((HEAD + "a.jpg\t1\t2\t3\t4\tA\t?\ttrain\n" + "b\n").splitlines(), "t.tsv")

    def test_header_required(self):
        with self.assertRaises(labels.LabelError):
            labels.parse(["a.jpg\t1\t2\t3\t4\tA\t?\ttrain"])

    def test_split_is_by_image(self):
        text = HEAD + "a.jpg\t1\t2\t3\t4\tA\t?\ttrain\n" + "a.jpg\t5\t2\t8\t4\tB\t?\tdev\n"
        with self.assertRaisesRegex(labels.LabelError, "split by image"):
            labels.parse(text.splitlines())

    def test_normalise(self):
        self.assertEqual(labels.normalise(" ab-12 3·C "), "AB123C")


class ToolTest(unittest.TestCase):
    def test_draft(self):
        d = label_plates.parse_draft(["0 ab-12 US-CA  # note", "", "# comment", "1 illegible", "2 Illegible GB"])
        self.assertEqual(d, {0: ("AB12", "US-CA"), 1: (labels.ILLEGIBLE, "?"), 2: (labels.ILLEGIBLE, "GB")})
        for bad in (["x ABC"], ["1"], ["1 A B C D"], ["1 A", "1 B"], ["3 --"]):
            with self.assertRaises(ValueError, msg=bad):
                label_plates.parse_draft(bad)

    def test_select_orders_and_filters(self):
        rows = [
            ("valid", "b.jpg", (0, 0, 100, 20)),
            ("train", "c.jpg", (50, 0, 120, 20)),
            ("train", "c.jpg", (0, 0, 61, 20)),
            ("train", "a.jpg", (0, 0, 59, 20)),  # too narrow
        ]
        got = label_plates.select(rows, 60)
        self.assertEqual([(r[1], r[2][0]) for r in got], [("c.jpg", 0), ("c.jpg", 50), ("b.jpg", 0)])

    def test_pad_box_stays_inside(self):
        self.assertEqual(label_plates.pad_box((0, 0, 100, 20), 100, 20), (0, 0, 100, 20))
        x0, y0, x1, y1 = label_plates.pad_box((10, 10, 60, 20), 200, 200)
        self.assertTrue(x0 < 10 and y0 < 10 and x1 > 60 and y1 > 20)

    def test_save_refuses_bad_labels(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.tsv")
            with self.assertRaises(labels.LabelError):
                labels.save(path, [labels.Label("a.jpg", (0, 0, 1, 1), "a b", "?", "train")])
            self.assertFalse(os.path.exists(path))


class CommittedLabelsTest(unittest.TestCase):
    """The committed file loads and keeps the dataset's split (train -> train, valid -> dev)."""

    def test_committed_file(self):
        path = os.path.join(HERE, "labels", "openimages-plates.tsv")
        items = labels.load(path)
        self.assertGreater(len(items), 0)
        self.assertEqual(len({(x.image, x.box) for x in items}), len(items), "a box labelled twice")
        boxes = os.path.join(label_plates.DATASET, "boxes.csv")
        if not os.path.exists(boxes):
            self.skipTest("openimages-plates not present")
        split = {name: s for s, name, _ in label_plates.read_boxes(label_plates.DATASET)}
        known = {(name, box) for _, name, box in label_plates.read_boxes(label_plates.DATASET)}
        for x in items:
            self.assertIn((x.image, x.box), known)
            self.assertEqual(x.split, "train" if split[x.image] == "train" else "dev", x.image)


if __name__ == "__main__":
    unittest.main()
