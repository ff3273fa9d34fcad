//! Pure geometry of the node graph: where nodes sit, where links and their lanes run, and where
//! a message in flight is drawn at a given instant. No DOM here, so it is tested natively.
//!
//! The drawing uses a fixed coordinate system (see [`VIEW_BOX`]) centred on the origin; the SVG
//! element scales it to whatever the screen offers, which is what makes the graph work on a
//! phone as well as on a desktop.

use replicalab_core::time::Time;

/// Half the width of the square drawing area, in SVG units.
pub const HALF_SIZE: f64 = 200.0;
/// The SVG `viewBox` attribute: a square centred on the origin.
pub const VIEW_BOX: &str = "-200 -200 400 400";
/// Radius of the circle the nodes are placed on.
pub const RING_RADIUS: f64 = 130.0;
/// Largest radius of a node's disc (smaller when many nodes share the ring).
pub const MAX_NODE_RADIUS: f64 = 34.0;
/// Smallest radius of a node's disc.
pub const MIN_NODE_RADIUS: f64 = 8.0;
/// Distance between the two directed lanes of a link and the link's centre line.
pub const LANE_OFFSET: f64 = 5.0;

/// A point in SVG units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub const fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }

    /// Linear interpolation from `self` (t = 0) to `other` (t = 1).
    pub fn lerp(self, other: Point, t: f64) -> Point {
        Point::new(self.x + (other.x - self.x) * t, self.y + (other.y - self.y) * t)
    }

    pub fn distance(self, other: Point) -> f64 {
        (other.x - self.x).hypot(other.y - self.y)
    }
}

/// Centres of `n` nodes on a circle, node 0 at the top, the rest clockwise, centred vertically
/// in the drawing. A single node sits in the middle.
pub fn node_positions(n: usize) -> Vec<Point> {
    if n == 1 {
        return vec![Point::new(0.0, 0.0)];
    }
    let ring: Vec<Point> = (0..n)
        .map(|i| {
            let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n as f64;
            Point::new(RING_RADIUS * angle.cos(), RING_RADIUS * angle.sin())
        })
        .collect();
    // An odd ring is taller above its centre than below (a triangle points up): centre it
    // vertically so the drawing does not leave an empty band at the bottom.
    let top = ring.iter().map(|p| p.y).fold(f64::INFINITY, f64::min);
    let bottom = ring.iter().map(|p| p.y).fold(f64::NEG_INFINITY, f64::max);
    let shift = -(top + bottom) / 2.0;
    ring.into_iter().map(|p| round2p(Point::new(p.x, p.y + shift))).collect()
}

/// Radius of each node's disc so that neighbours on the ring never overlap.
pub fn node_radius(n: usize) -> f64 {
    if n <= 1 {
        return MAX_NODE_RADIUS;
    }
    // Neighbours are a chord apart; keep a third of it free.
    let chord = 2.0 * RING_RADIUS * (std::f64::consts::PI / n as f64).sin();
    (chord / 3.0).clamp(MIN_NODE_RADIUS, MAX_NODE_RADIUS)
}

/// The directed lane `from → to` between two node centres: it starts and ends on the rims of
/// the discs (radius `r`) and runs [`LANE_OFFSET`] to the right of the direction of travel, so
/// the two directions of a link never overlap. Returns `(start, end)`.
pub fn lane(from: Point, to: Point, r: f64) -> (Point, Point) {
    let len = from.distance(to);
    if len <= 2.0 * r || len == 0.0 {
        return (from, to);
    }
    let (ux, uy) = ((to.x - from.x) / len, (to.y - from.y) / len);
    // Right-hand normal in SVG coordinates (y grows downwards).
    let (nx, ny) = (-uy, ux);
    // Move the end points along the rim so that the offset lane still starts on the disc.
    let along = (r * r - LANE_OFFSET * LANE_OFFSET).max(0.0).sqrt();
    let start = Point::new(from.x + ux * along + nx * LANE_OFFSET, from.y + uy * along + ny * LANE_OFFSET);
    let end = Point::new(to.x - ux * along + nx * LANE_OFFSET, to.y - uy * along + ny * LANE_OFFSET);
    (round2p(start), round2p(end))
}

/// The undirected centre line between two node discs (rim to rim).
pub fn link_line(a: Point, b: Point, r: f64) -> (Point, Point) {
    let len = a.distance(b);
    if len <= 2.0 * r || len == 0.0 {
        return (a, b);
    }
    let t = r / len;
    (round2p(a.lerp(b, t)), round2p(b.lerp(a, t)))
}

/// The full mesh of links between `centres` (discs of radius `r`): each pair once, lower index
/// first, with its rim-to-rim line.
pub fn mesh(centres: &[Point], r: f64) -> Vec<(usize, usize, (Point, Point))> {
    let n = centres.len();
    (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b, link_line(centres[a], centres[b], r)))).collect()
}

/// How far along its lane a message is at `now`: 0 when sent, 1 when delivered, clamped.
/// A message sent and delivered at the same instant is drawn at its destination.
pub fn progress(sent: Time, deliver: Time, now: Time) -> f64 {
    if deliver <= sent {
        return 1.0;
    }
    let t = now.saturating_sub(sent) as f64 / (deliver - sent) as f64;
    t.clamp(0.0, 1.0)
}

/// Where a message on lane `(start, end)` is drawn at `now`.
pub fn message_point(lane: (Point, Point), sent: Time, deliver: Time, now: Time) -> Point {
    round2p(lane.0.lerp(lane.1, progress(sent, deliver, now)))
}

/// Baseline of the first of the two text lines under (or, for nodes in the upper half, over)
/// a node, centred horizontally on the node, so labels never cover the links in the middle,
/// and clear of a partition group's halo round the disc (radius `r + 8`, 4 units wide).
pub fn label_origin(centre: Point, r: f64) -> Point {
    if centre.y < -1.0 {
        round2p(Point::new(centre.x, centre.y - r - 14.0 - LABEL_LINE))
    } else {
        round2p(Point::new(centre.x, centre.y + r + 19.0))
    }
}

/// Distance between the baselines of a node's label lines.
pub const LABEL_LINE: f64 = 12.0;

/// Converts a pointer position on the page to drawing coordinates, for an SVG element whose
/// box on the page is `(left, top, width, height)` showing [`VIEW_BOX`] with the default
/// `xMidYMid meet` (the square drawing is centred in the box and scaled to fit).
pub fn client_to_svg(rect: (f64, f64, f64, f64), x: f64, y: f64) -> Point {
    let (left, top, width, height) = rect;
    let side = width.min(height);
    if !(side.is_finite() && side > 0.0) {
        return Point::new(0.0, 0.0);
    }
    let scale = 2.0 * HALF_SIZE / side;
    let cx = left + width / 2.0;
    let cy = top + height / 2.0;
    Point::new((x - cx) * scale, (y - cy) * scale)
}

/// Shortest drag (in drawing units) that counts as drawing a partition line.
pub const MIN_STROKE: f64 = 20.0;

/// The two groups of nodes on either side of the line through `a` and `b` (a partition
/// drawn by dragging across the graph). `None` when the stroke is too short or leaves every
/// node on one side.
pub fn split_by_line(nodes: &[Point], a: Point, b: Point) -> Option<(Vec<usize>, Vec<usize>)> {
    if a.distance(b) < MIN_STROKE {
        return None;
    }
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for (i, p) in nodes.iter().enumerate() {
        let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        if cross < 0.0 {
            left.push(i);
        } else {
            right.push(i);
        }
    }
    if left.is_empty() || right.is_empty() {
        return None;
    }
    // The group with node 0 first, so the same drawing always names groups the same way.
    if left.contains(&0) {
        Some((left, right))
    } else {
        Some((right, left))
    }
}

/// Distance from `p` to the segment `a`–`b`.
pub fn distance_to_segment(p: Point, a: Point, b: Point) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return p.distance(a);
    }
    let t = (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0);
    p.distance(Point::new(a.x + t * dx, a.y + t * dy))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round2p(p: Point) -> Point {
    Point::new(round2(p.x), round2(p.y))
}

/// One SVG path drawing a dot of radius `r` at every point: a moving crowd of messages costs
/// one element instead of one per message.
pub fn dots_path(points: impl IntoIterator<Item = Point>, r: f64) -> String {
    use std::fmt::Write;
    let mut d = String::new();
    for p in points {
        let _ = write!(d, "M{:.1} {:.1}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 {} 0", p.x - r, p.y, 2.0 * r, -2.0 * r);
    }
    d
}

/// The item nearest to `p` within `max` (a click on a moving dot), if any.
pub fn nearest<T: Copy>(items: impl IntoIterator<Item = (T, Point)>, p: Point, max: f64) -> Option<T> {
    let mut best: Option<(f64, T)> = None;
    for (item, q) in items {
        let d = p.distance(q);
        if d <= max && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, item));
        }
    }
    best.map(|(_, item)| item)
}

/// Width of one character of a message label, and the label's height, in view-box units.
pub const LABEL_CHAR_W: f64 = 4.7;
pub const LABEL_H: f64 = 10.0;

/// A text's box in drawing units: `(left, top, right, bottom)`.
pub type Rect = (f64, f64, f64, f64);

/// Width of one character of a node's label lines (the `.node-label` font, larger on phones), in
/// view-box units.
pub const NODE_LABEL_CHAR_W: f64 = 7.0;

/// The box of a node's label lines (up to two, of `chars` characters each, centred on the
/// node at [`label_origin`]), so message labels can keep out of it.
pub fn node_label_box(centre: Point, r: f64, chars: &[usize]) -> Option<Rect> {
    let lines = chars.iter().filter(|&&c| c > 0).count();
    let widest = chars.iter().copied().max().unwrap_or(0);
    if lines == 0 {
        return None;
    }
    let o = label_origin(centre, r);
    let half = widest as f64 * NODE_LABEL_CHAR_W / 2.0;
    Some((o.x - half, o.y - LABEL_LINE, o.x + half, o.y + LABEL_LINE * (chars.len() as f64 - 1.0) + 4.0))
}

/// Whether the segment `a`–`b` passes through the box `b` (Liang–Barsky clipping).
pub fn segment_crosses(a: Point, b: Point, rect: Rect) -> bool {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, a.x - rect.0), (dx, rect.2 - a.x), (-dy, a.y - rect.1), (dy, rect.3 - a.y)] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

/// What labels must keep clear of: the nodes' discs, boxes already taken (the nodes' own label
/// lines) and, where there is a choice, the links.
pub struct Obstacles<'a> {
    pub discs: &'a [Point],
    pub radius: f64,
    pub boxes: &'a [Rect],
    pub links: &'a [(Point, Point)],
}

/// Where to write each label so that no two overlap and none covers a node or a node's label
/// lines: for each anchor (a message dot) and label length in characters, the text's start
/// (left end of its baseline). Eight places around the dot are tried in turn, first for one
/// that crosses no link, then for any free one; `None` when every place is taken (the label is
/// left out, the dot still shows).
pub fn place_labels(anchors: &[(Point, usize)], obstacles: &Obstacles) -> Vec<Option<Point>> {
    let mut placed: Vec<Rect> = obstacles.boxes.to_vec();
    let clear_of_discs = |b: Rect| {
        obstacles.discs.iter().all(|c| {
            // Distance from the disc's centre to the box.
            let dx = (b.0 - c.x).max(0.0).max(c.x - b.2);
            let dy = (b.1 - c.y).max(0.0).max(c.y - b.3);
            dx * dx + dy * dy > (obstacles.radius + 2.0) * (obstacles.radius + 2.0)
        })
    };
    let inside = |b: Rect| b.0 >= -HALF_SIZE && b.1 >= -HALF_SIZE && b.2 <= HALF_SIZE && b.3 <= HALF_SIZE;
    anchors
        .iter()
        .map(|&(p, chars)| {
            let w = chars as f64 * LABEL_CHAR_W;
            let tries = [
                (6.0, -5.0),
                (6.0, 12.0),
                (-6.0 - w, -5.0),
                (-6.0 - w, 12.0),
                (-w / 2.0, -9.0),
                (-w / 2.0, 18.0),
                (10.0, 4.0),
                (-10.0 - w, 4.0),
            ];
            let boxes: Vec<(Point, Rect)> = tries
                .iter()
                .map(|&(dx, dy)| {
                    let start = Point::new(p.x + dx, p.y + dy);
                    (start, (start.x, start.y - LABEL_H + 2.0, start.x + w, start.y + 2.0))
                })
                .filter(|&(_, b)| {
                    inside(b)
                        && clear_of_discs(b)
                        && placed.iter().all(|o| b.2 < o.0 || o.2 < b.0 || b.3 < o.1 || o.3 < b.1)
                })
                .collect();
            let off_links = |b: &Rect| obstacles.links.iter().all(|&(a, c)| !segment_crosses(a, c, *b));
            let spot = boxes.iter().find(|(_, b)| off_links(b)).or_else(|| boxes.first()).copied();
            spot.map(|(start, b)| {
                placed.push(b);
                start
            })
        })
        .collect()
}

/// How many typical message trips the space-time diagram shows above the playhead.
pub const SPACETIME_TRIPS: u64 = 12;

/// The window of simulated time the space-time diagram shows: up to the playhead `now`, from
/// [`SPACETIME_TRIPS`] typical (median) trips earlier, or from the oldest message when that is
/// later. `trips` are the messages' (sent, arrived) instants.
pub fn spacetime_window(trips: &[(u64, Option<u64>)], now: u64) -> (u64, u64) {
    let mut durations: Vec<u64> = trips.iter().filter_map(|&(s, a)| a.map(|a| a.saturating_sub(s))).collect();
    replicalab_core::sort::sort(&mut durations);
    let typical = durations.get(durations.len() / 2).copied().unwrap_or(1_000).max(100);
    let oldest = trips.iter().map(|&(s, _)| s).min().unwrap_or(now).min(now);
    let t0 = oldest.max(now.saturating_sub(typical * SPACETIME_TRIPS));
    (t0, now.max(t0 + 1))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn dots_are_one_path_of_closed_circles() {
        let d = dots_path([Point::new(10.0, 5.0), Point::new(-3.0, 0.0)], 4.0);
        assert_eq!(d, "M6.0 5.0a4 4 0 1 0 8 0a4 4 0 1 0 -8 0M-7.0 0.0a4 4 0 1 0 8 0a4 4 0 1 0 -8 0");
        assert_eq!(dots_path([], 4.0), "");
    }

    #[test]
    fn the_nearest_dot_within_reach_is_picked() {
        let items = [(1u64, Point::new(0.0, 0.0)), (2, Point::new(10.0, 0.0)), (3, Point::new(4.0, 0.0))];
        assert_eq!(nearest(items, Point::new(5.0, 1.0), 8.0), Some(3));
        assert_eq!(nearest(items, Point::new(9.0, 0.0), 8.0), Some(2));
        assert_eq!(nearest(items, Point::new(50.0, 50.0), 8.0), None);
        assert_eq!(nearest(Vec::<(u64, Point)>::new(), Point::new(0.0, 0.0), 8.0), None);
    }

    fn close(a: Point, b: Point) -> bool {
        a.distance(b) < 0.05
    }

    #[test]
    fn nodes_sit_on_the_ring_starting_at_the_top_clockwise() {
        let p = node_positions(4);
        assert!(close(p[0], Point::new(0.0, -RING_RADIUS)));
        assert!(close(p[1], Point::new(RING_RADIUS, 0.0)));
        assert!(close(p[2], Point::new(0.0, RING_RADIUS)));
        assert!(close(p[3], Point::new(-RING_RADIUS, 0.0)));
        // Odd rings are shifted down so their top and bottom are equally far from the middle.
        let p = node_positions(7);
        let centre = Point::new(0.0, p[0].y + RING_RADIUS);
        for q in &p {
            assert!((q.distance(centre) - RING_RADIUS).abs() < 0.05);
        }
        let bottom = p.iter().map(|q| q.y).fold(f64::NEG_INFINITY, f64::max);
        assert!((p[0].y + bottom).abs() < 0.05, "top {} bottom {bottom}", p[0].y);
        assert!(p[0].y > -RING_RADIUS);
    }

    #[test]
    fn a_single_node_sits_in_the_middle_and_none_is_empty() {
        assert_eq!(node_positions(1), vec![Point::new(0.0, 0.0)]);
        assert!(node_positions(0).is_empty());
    }

    #[test]
    fn everything_fits_inside_the_view_box() {
        for n in 1..=64 {
            let r = node_radius(n);
            for p in node_positions(n) {
                assert!(p.x.abs() + r <= HALF_SIZE && p.y.abs() + r <= HALF_SIZE, "n = {n}");
            }
        }
    }

    #[test]
    fn neighbouring_discs_never_overlap() {
        for n in 2..=64 {
            let r = node_radius(n);
            let p = node_positions(n);
            let gap = p[0].distance(p[1]);
            assert!(gap >= 2.0 * r || r == MIN_NODE_RADIUS, "n = {n}: gap {gap}, radius {r}");
            assert!((MIN_NODE_RADIUS..=MAX_NODE_RADIUS).contains(&r));
        }
    }

    #[test]
    fn the_two_directions_of_a_link_use_opposite_lanes() {
        let (a, b) = (Point::new(-100.0, 0.0), Point::new(100.0, 0.0));
        let (s1, e1) = lane(a, b, 20.0);
        let (s2, e2) = lane(b, a, 20.0);
        // Travelling right (+x) the right-hand side is +y in SVG coordinates.
        assert!(s1.y > 0.0 && e1.y > 0.0);
        assert!(s2.y < 0.0 && e2.y < 0.0);
        assert!((s1.y - LANE_OFFSET).abs() < 1e-9 && (s2.y + LANE_OFFSET).abs() < 1e-9);
        // Lanes start and end on the discs' rims.
        assert!((s1.distance(a) - 20.0).abs() < 0.05);
        assert!((e1.distance(b) - 20.0).abs() < 0.05);
        assert!(s1.x < e1.x && s2.x > e2.x);
    }

    #[test]
    fn overlapping_discs_get_a_degenerate_lane_instead_of_nonsense() {
        let (a, b) = (Point::new(0.0, 0.0), Point::new(10.0, 0.0));
        assert_eq!(lane(a, b, 20.0), (a, b));
        assert_eq!(lane(a, a, 20.0), (a, a));
        assert_eq!(link_line(a, a, 20.0), (a, a));
    }

    #[test]
    fn link_lines_run_rim_to_rim() {
        let (a, b) = (Point::new(0.0, -100.0), Point::new(0.0, 100.0));
        let (s, e) = link_line(a, b, 25.0);
        assert!(close(s, Point::new(0.0, -75.0)) && close(e, Point::new(0.0, 75.0)));
    }

    #[test]
    fn progress_interpolates_sent_to_deliver_and_clamps() {
        assert_eq!(progress(1_000, 3_000, 0), 0.0);
        assert_eq!(progress(1_000, 3_000, 1_000), 0.0);
        assert_eq!(progress(1_000, 3_000, 2_000), 0.5);
        assert_eq!(progress(1_000, 3_000, 3_000), 1.0);
        assert_eq!(progress(1_000, 3_000, 9_000), 1.0);
        assert_eq!(progress(5_000, 5_000, 5_000), 1.0);
        assert_eq!(progress(5_000, 4_000, 0), 1.0);
    }

    #[test]
    fn a_message_moves_along_its_lane() {
        let l = (Point::new(0.0, 0.0), Point::new(100.0, 50.0));
        assert_eq!(message_point(l, 0, 100, 0), l.0);
        assert_eq!(message_point(l, 0, 100, 25), Point::new(25.0, 12.5));
        assert_eq!(message_point(l, 0, 100, 100), l.1);
    }

    #[test]
    fn labels_sit_outside_the_ring_and_inside_the_view_box() {
        for n in 1..=8 {
            let r = node_radius(n);
            for p in node_positions(n) {
                let first = label_origin(p, r);
                let last = Point::new(first.x, first.y + LABEL_LINE);
                for q in [first, last] {
                    assert!(q.y.abs() < HALF_SIZE - 4.0, "n = {n}: {q:?}");
                    assert!((q.y - p.y).abs() > r, "n = {n}: label inside the disc");
                }
            }
        }
        // Upper half: above the node; lower half and centre: below.
        assert!(label_origin(Point::new(0.0, -RING_RADIUS), 20.0).y < -RING_RADIUS);
        assert!(label_origin(Point::new(0.0, RING_RADIUS), 20.0).y > RING_RADIUS);
        assert!(label_origin(Point::new(0.0, 0.0), 20.0).y > 0.0);
    }

    #[test]
    fn pointer_positions_map_to_drawing_coordinates() {
        // A 400 × 400 box at (100, 50): one unit per pixel, origin in the middle.
        let r = (100.0, 50.0, 400.0, 400.0);
        assert_eq!(client_to_svg(r, 300.0, 250.0), Point::new(0.0, 0.0));
        assert_eq!(client_to_svg(r, 100.0, 50.0), Point::new(-200.0, -200.0));
        // A wide box (800 × 200): the square drawing is 200 px wide, centred; two units a pixel.
        let r = (0.0, 0.0, 800.0, 200.0);
        assert_eq!(client_to_svg(r, 400.0, 100.0), Point::new(0.0, 0.0));
        assert_eq!(client_to_svg(r, 500.0, 0.0), Point::new(200.0, -200.0));
        // A box with no size maps everything to the middle instead of dividing by zero.
        assert_eq!(client_to_svg((0.0, 0.0, 0.0, 0.0), 5.0, 5.0), Point::new(0.0, 0.0));
    }

    #[test]
    fn a_stroke_across_the_graph_splits_the_nodes() {
        let p = node_positions(3);
        // A horizontal line between the top node and the two bottom ones.
        let cut = split_by_line(&p, Point::new(-190.0, -40.0), Point::new(190.0, -40.0));
        assert_eq!(cut, Some((vec![0], vec![1, 2])));
        // Drawn the other way round: the same groups, node 0's first.
        let cut = split_by_line(&p, Point::new(190.0, -40.0), Point::new(-190.0, -40.0));
        assert_eq!(cut, Some((vec![0], vec![1, 2])));
        // A vertical line through the middle of 4 nodes, slightly tilted.
        let p4 = node_positions(4);
        let cut = split_by_line(&p4, Point::new(10.0, -190.0), Point::new(-10.0, 190.0)).unwrap();
        // n0 (top) lies just left of the tilted line, with n3 (left).
        assert_eq!(cut, (vec![0, 3], vec![1, 2]));
        // Too short, or everything on one side: no partition.
        assert_eq!(split_by_line(&p, Point::new(0.0, 0.0), Point::new(5.0, 5.0)), None);
        assert_eq!(split_by_line(&p, Point::new(-190.0, 195.0), Point::new(190.0, 195.0)), None);
    }

    #[test]
    fn distances_to_segments() {
        let (a, b) = (Point::new(0.0, 0.0), Point::new(10.0, 0.0));
        assert_eq!(distance_to_segment(Point::new(5.0, 3.0), a, b), 3.0);
        assert_eq!(distance_to_segment(Point::new(-4.0, 3.0), a, b), 5.0);
        assert_eq!(distance_to_segment(Point::new(1.0, 1.0), a, a), 2f64.sqrt());
    }

    #[test]
    fn labels_never_overlap_each_other_or_a_node() {
        let discs = [Point::new(0.0, 0.0), Point::new(100.0, 0.0)];
        // A dot just leaving node 0, two dots at the same place, a dot in open space.
        let anchors = [
            (Point::new(20.0, 0.0), 12),
            (Point::new(50.0, 40.0), 10),
            (Point::new(50.0, 40.0), 10),
            (Point::new(50.0, 80.0), 4),
        ];
        let spots = place_labels(&anchors, &Obstacles { discs: &discs, radius: 18.0, boxes: &[], links: &[] });
        assert_eq!(spots.len(), 4);
        let boxes: Vec<(f64, f64, f64, f64)> = spots
            .iter()
            .zip(&anchors)
            .filter_map(|(s, a)| s.map(|s| (s.x, s.y - LABEL_H + 2.0, s.x + a.1 as f64 * LABEL_CHAR_W, s.y + 2.0)))
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(a.2 < b.0 || b.2 < a.0 || a.3 < b.1 || b.3 < a.1, "{a:?} overlaps {b:?}");
            }
            for c in &discs {
                let dx = (a.0 - c.x).max(0.0).max(c.x - a.2);
                let dy = (a.1 - c.y).max(0.0).max(c.y - a.3);
                assert!(dx * dx + dy * dy > 18.0 * 18.0, "{a:?} covers the node at {c:?}");
            }
        }
        // The two labels at one place both find room (one above, one below).
        assert!(spots[1].is_some() && spots[2].is_some());
        assert_ne!(spots[1], spots[2]);
        assert!(spots[3].is_some());
    }

    #[test]
    fn the_mesh_has_each_pair_once_rim_to_rim() {
        let centres = node_positions(4);
        let mesh = mesh(&centres, 20.0);
        assert_eq!(
            mesh.iter().map(|&(a, b, _)| (a, b)).collect::<Vec<_>>(),
            [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
        );
        for &(a, b, line) in &mesh {
            assert_eq!(line, link_line(centres[a], centres[b], 20.0));
        }
    }

    #[test]
    fn segments_crossing_boxes() {
        let b = (0.0, 0.0, 10.0, 10.0);
        assert!(segment_crosses(Point::new(-5.0, 5.0), Point::new(15.0, 5.0), b));
        assert!(segment_crosses(Point::new(2.0, 2.0), Point::new(3.0, 3.0), b), "inside");
        assert!(!segment_crosses(Point::new(-5.0, -1.0), Point::new(15.0, -1.0), b));
        assert!(!segment_crosses(Point::new(-5.0, 20.0), Point::new(20.0, 12.0), b));
        assert!(segment_crosses(Point::new(-5.0, 15.0), Point::new(15.0, -5.0), b), "diagonal");
    }

    #[test]
    fn labels_keep_clear_of_node_labels_and_prefer_to_keep_off_links() {
        let discs = [Point::new(0.0, 0.0)];
        let node_box = node_label_box(discs[0], 18.0, &[20, 6]).unwrap();
        // A dot right under the node's label lines, with a link running just above and to the
        // right of it.
        let dot = Point::new(0.0, node_box.3 + 4.0);
        let link = (Point::new(-100.0, dot.y - 6.0), Point::new(100.0, dot.y - 6.0));
        let obstacles = Obstacles { discs: &discs, radius: 18.0, boxes: &[node_box], links: &[link] };
        let spot = place_labels(&[(dot, 8)], &obstacles)[0].expect("a free place");
        let b = (spot.x, spot.y - LABEL_H + 2.0, spot.x + 8.0 * LABEL_CHAR_W, spot.y + 2.0);
        let o = node_box;
        assert!(b.2 < o.0 || o.2 < b.0 || b.3 < o.1 || o.3 < b.1, "{b:?} overlaps the node's label {o:?}");
        assert!(!segment_crosses(link.0, link.1, b), "{b:?} sits on the link although a place off it was free");
        assert!(b.0 >= -HALF_SIZE && b.3 <= HALF_SIZE);
    }

    #[test]
    fn node_label_boxes_hold_both_lines() {
        let c = Point::new(0.0, 100.0);
        let b = node_label_box(c, 20.0, &[10, 4]).unwrap();
        let o = label_origin(c, 20.0);
        assert!(b.1 < o.y && b.3 > o.y + LABEL_LINE, "{b:?} around {o:?}");
        assert_eq!(b.2 - b.0, 10.0 * NODE_LABEL_CHAR_W);
        assert_eq!(node_label_box(c, 20.0, &[0, 0]), None);
    }

    #[test]
    fn the_space_time_window_follows_the_playhead() {
        // Messages of 2 ms every ms for a second: the window is 12 trips (24 ms) up to now.
        let trips: Vec<(u64, Option<u64>)> = (0..1000u64).map(|i| (i * 1000, Some(i * 1000 + 2000))).collect();
        assert_eq!(spacetime_window(&trips, 1_000_000), (1_000_000 - 24_000, 1_000_000));
        // Few messages, recent: from the oldest.
        assert_eq!(spacetime_window(&[(900, Some(2900))], 3_000), (900, 3_000));
        // None at all: an empty window at the playhead.
        assert_eq!(spacetime_window(&[], 5_000), (5_000, 5_001));
    }
}
