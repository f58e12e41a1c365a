//! `pkg/controller/controller_utils.go` (and `pkg/api/v1/pod/util.go`): which pods are active,
//! which are available, the order in which a ReplicaSet deletes surplus pods, and the
//! slow-start batches it creates pods in.
//!
//! The orderings are Go `Less` functions, which are not always strict weak orders (the
//! LogarithmicScaleDown UID tie-break can make them cyclic), so they are applied with
//! [`sort_by_less`], a merge sort that never panics whatever the comparator does.

use crate::api::SharedStr;
use std::collections::BTreeMap;

/// `burstReplicas`: the most pods a ReplicaSet creates or deletes in one sync.
pub const BURST_REPLICAS: usize = 500;
/// `SlowStartInitialBatchSize`.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;
/// Annotation `controller.kubernetes.io/pod-deletion-cost`.
pub const POD_DELETION_COST_ANNOTATION: &str = "controller.kubernetes.io/pod-deletion-cost";

/// Stable merge sort driven by a Go-style `less`. Unlike `slice::sort_by` it cannot panic when
/// `less` is inconsistent, and equal elements keep their input order, so the result is a pure
/// function of the input.
pub fn sort_by_less<T>(items: &mut Vec<T>, less: impl Fn(&T, &T) -> bool) {
    let n = items.len();
    if n < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut buf: Vec<usize> = Vec::with_capacity(n);
    let mut width = 1;
    while width < n {
        buf.clear();
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                // Take from the right run only when it is strictly less: keeps the sort stable.
                if less(&items[order[j]], &items[order[i]]) {
                    buf.push(order[j]);
                    j += 1;
                } else {
                    buf.push(order[i]);
                    i += 1;
                }
            }
            buf.extend_from_slice(&order[i..mid]);
            buf.extend_from_slice(&order[j..end]);
            start = end;
        }
        std::mem::swap(&mut order, &mut buf);
        width *= 2;
    }
    // Apply the permutation without cloning the elements.
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|k| slots.get_mut(k).and_then(Option::take)),
    );
}

/// What a ReplicaSet's scale-down ordering reads from a pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodRankInfo {
    /// `metadata.uid` (LogarithmicScaleDown's tie-break).
    pub uid: SharedStr,
    /// `spec.nodeName`, empty while unscheduled.
    pub node_name: SharedStr,
    /// `status.phase` as Kubernetes spells it (`Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`).
    pub phase: String,
    /// The `Ready` condition is `True`.
    pub ready: bool,
    /// That condition's `lastTransitionTime` (virtual ms); `None` is Go's zero time.
    pub ready_transition_ms: Option<i64>,
    /// The parsed `pod-deletion-cost` annotation (see [`deletion_cost_from_annotation`]).
    pub deletion_cost: i32,
    /// Highest `restartCount` among regular containers.
    pub max_restarts: i32,
    /// Highest `restartCount` among sidecar (restartable init) containers.
    pub max_sidecar_restarts: i32,
    /// `metadata.creationTimestamp` (virtual ms); `None` is Go's zero time.
    pub creation_ms: Option<i64>,
    /// `metadata.deletionTimestamp` is set.
    pub terminating: bool,
}

/// `IsPodActive`: not Succeeded, not Failed, not being deleted.
pub fn is_pod_active(pod: &PodRankInfo) -> bool {
    pod.phase != "Succeeded" && pod.phase != "Failed" && !pod.terminating
}

/// `IsPodAvailable`: Ready, and either `minReadySeconds == 0` or Ready since strictly more than
/// `minReadySeconds` ago. A Ready condition without a transition time is never "ready long
/// enough".
pub fn is_pod_available(
    ready: bool,
    ready_transition_ms: Option<i64>,
    min_ready_seconds: i32,
    now_ms: i64,
) -> bool {
    if !ready {
        return false;
    }
    if min_ready_seconds == 0 {
        return true;
    }
    ready_transition_ms.is_some_and(|t| {
        t.saturating_add(i64::from(min_ready_seconds).saturating_mul(1000)) < now_ms
    })
}

/// `helper.GetDeletionCostFromPodAnnotations`: the annotation as an int32; absent or invalid
/// (leading `+`, leading zeros, out of range, not a number) is 0.
pub fn deletion_cost_from_annotation(value: Option<&str>) -> i32 {
    let Some(v) = value else { return 0 };
    let valid_first = match v.as_bytes().first() {
        Some(b'-') | Some(b'1'..=b'9') => true,
        Some(b'0') => v == "0",
        _ => false,
    };
    if !valid_first {
        return 0;
    }
    v.parse().unwrap_or(0)
}

/// `podPhaseToOrdinal`: Pending (and anything unlisted) 0, Unknown 1, Running 2.
fn phase_ordinal(phase: &str) -> u8 {
    match phase {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    }
}

/// `afterOrZero`: t1 after t2, a zero time counting as after everything.
fn after_or_zero(t1: Option<i64>, t2: Option<i64>) -> bool {
    match (t1, t2) {
        (Some(a), Some(b)) => a > b,
        (a, _) => a.is_none(),
    }
}

/// `floor(log2(now − t))` with the difference in nanoseconds, −1 if not positive.
fn log2_bucket(t_ms: i64, now_ms: i64) -> i64 {
    let d_ns = (i128::from(now_ms) - i128::from(t_ms)) * 1_000_000;
    if d_ns <= 0 {
        return -1;
    }
    // Exact floor(log2) of a positive integer; upstream's float math agrees for any duration
    // shorter than centuries.
    127 - i64::from(d_ns.leading_zeros())
}

/// `compareMaxContainerRestarts`: more restarts first, regular containers before sidecars.
fn compare_restarts(a: &PodRankInfo, b: &PodRankInfo) -> Option<bool> {
    if a.max_restarts != b.max_restarts {
        return Some(a.max_restarts > b.max_restarts);
    }
    if a.max_sidecar_restarts != b.max_sidecar_restarts {
        return Some(a.max_sidecar_restarts > b.max_sidecar_restarts);
    }
    None
}

/// Rules 1–3, shared by both orderings: unassigned, then lower phase, then not ready first.
fn less_by_assignment_phase_readiness(a: &PodRankInfo, b: &PodRankInfo) -> Option<bool> {
    if a.node_name != b.node_name && (a.node_name.is_empty() || b.node_name.is_empty()) {
        return Some(a.node_name.is_empty());
    }
    let (pa, pb) = (phase_ordinal(&a.phase), phase_ordinal(&b.phase));
    if pa != pb {
        return Some(pa < pb);
    }
    if a.ready != b.ready {
        return Some(!a.ready);
    }
    None
}

/// `podReadyTime`: the Ready transition time of a ready pod, zero otherwise.
fn ready_time(pod: &PodRankInfo) -> Option<i64> {
    if pod.ready {
        pod.ready_transition_ms
    } else {
        None
    }
}

/// `ActivePods.Less`: `true` if `a` should be deleted before `b` (the plain ordering: no
/// deletion cost, no ranks, no logarithmic buckets).
pub fn active_pods_less(a: &PodRankInfo, b: &PodRankInfo) -> bool {
    if let Some(r) = less_by_assignment_phase_readiness(a, b) {
        return r;
    }
    if a.ready && b.ready {
        let (ta, tb) = (ready_time(a), ready_time(b));
        if ta != tb {
            return after_or_zero(ta, tb);
        }
    }
    if let Some(r) = compare_restarts(a, b) {
        return r;
    }
    if a.creation_ms != b.creation_ms {
        return after_or_zero(a.creation_ms, b.creation_ms);
    }
    false
}

/// Feature gates that change `ActivePodsWithRanks` (both on by default upstream).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RankFeatures {
    /// `PodDeletionCost`.
    pub pod_deletion_cost: bool,
    /// `LogarithmicScaleDown`.
    pub logarithmic_scale_down: bool,
}

impl Default for RankFeatures {
    fn default() -> Self {
        RankFeatures {
            pod_deletion_cost: true,
            logarithmic_scale_down: true,
        }
    }
}

/// A pod with its rank (number of active related pods on its node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedPod<'a> {
    /// The pod.
    pub pod: &'a PodRankInfo,
    /// Its rank.
    pub rank: usize,
}

/// Compare two times for rules 6 and 8: plain `afterOrZero`, or by logarithmic bucket with a UID
/// tie-break.
fn time_less(
    ta: Option<i64>,
    tb: Option<i64>,
    a: &PodRankInfo,
    b: &PodRankInfo,
    now_ms: Option<i64>,
    features: RankFeatures,
) -> bool {
    match (features.logarithmic_scale_down, now_ms, ta, tb) {
        (true, Some(now), Some(x), Some(y)) => {
            let diff = log2_bucket(x, now) - log2_bucket(y, now);
            if diff == 0 {
                a.uid < b.uid
            } else {
                diff < 0
            }
        }
        _ => after_or_zero(ta, tb),
    }
}

/// `ActivePodsWithRanks.Less`: `true` if `a` should be deleted before `b`.
///
/// `now_ms` is `None` for Go's zero `Now` (which turns the logarithmic comparison off).
pub fn active_pods_with_ranks_less(
    a: &RankedPod<'_>,
    b: &RankedPod<'_>,
    now_ms: Option<i64>,
    features: RankFeatures,
) -> bool {
    let (pa, pb) = (a.pod, b.pod);
    if let Some(r) = less_by_assignment_phase_readiness(pa, pb) {
        return r;
    }
    if features.pod_deletion_cost && pa.deletion_cost != pb.deletion_cost {
        return pa.deletion_cost < pb.deletion_cost;
    }
    if a.rank != b.rank {
        return a.rank > b.rank;
    }
    if pa.ready && pb.ready {
        let (ta, tb) = (ready_time(pa), ready_time(pb));
        if ta != tb {
            return time_less(ta, tb, pa, pb, now_ms, features);
        }
    }
    if let Some(r) = compare_restarts(pa, pb) {
        return r;
    }
    if pa.creation_ms != pb.creation_ms {
        return time_less(pa.creation_ms, pb.creation_ms, pa, pb, now_ms, features);
    }
    false
}

/// `getPodsRankedByRelatedPodsOnSameNode`: each pod's rank is the number of *active* related pods
/// (pods of every ReplicaSet of the same owner) on its node; unscheduled pods share the `""` node.
pub fn ranks_by_related_pods_on_same_node(
    pods: &[PodRankInfo],
    related: &[PodRankInfo],
) -> Vec<usize> {
    let mut on_node: BTreeMap<&str, usize> = BTreeMap::new();
    for pod in related.iter().filter(|p| is_pod_active(p)) {
        *on_node.entry(pod.node_name.as_str()).or_default() += 1;
    }
    pods.iter()
        .map(|p| on_node.get(p.node_name.as_str()).copied().unwrap_or(0))
        .collect()
}

/// `getPodsToDelete`: the indices (into `pods`, the ReplicaSet's active pods) of the `diff` pods
/// to delete. When every pod goes no sorting happens, as upstream.
pub fn pods_to_delete(
    pods: &[PodRankInfo],
    related: &[PodRankInfo],
    diff: usize,
    now_ms: Option<i64>,
    features: RankFeatures,
) -> Vec<usize> {
    let diff = diff.min(pods.len());
    if diff >= pods.len() {
        return (0..pods.len()).collect();
    }
    let ranks = ranks_by_related_pods_on_same_node(pods, related);
    let mut ranked: Vec<(usize, RankedPod<'_>)> = pods
        .iter()
        .zip(ranks)
        .enumerate()
        .map(|(i, (pod, rank))| (i, RankedPod { pod, rank }))
        .collect();
    sort_by_less(&mut ranked, |x, y| {
        active_pods_with_ranks_less(&x.1, &y.1, now_ms, features)
    });
    ranked.into_iter().take(diff).map(|(i, _)| i).collect()
}

/// What a ReplicaSet sync does to reach `spec.replicas` (`manageReplicas`), capped at
/// [`BURST_REPLICAS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaDiff {
    /// Create this many pods (in [`slow_start_batches`]).
    Create(usize),
    /// Delete this many pods (chosen by [`pods_to_delete`]).
    Delete(usize),
    /// Nothing to do.
    None,
}

/// `manageReplicas`'s `diff = len(activePods) − spec.replicas`, capped at `burstReplicas`.
pub fn replica_diff(active_pods: usize, spec_replicas: i32) -> ReplicaDiff {
    let want = usize::try_from(spec_replicas).unwrap_or(0);
    match active_pods.cmp(&want) {
        std::cmp::Ordering::Less => ReplicaDiff::Create((want - active_pods).min(BURST_REPLICAS)),
        std::cmp::Ordering::Greater => {
            ReplicaDiff::Delete((active_pods - want).min(BURST_REPLICAS))
        }
        std::cmp::Ordering::Equal => ReplicaDiff::None,
    }
}

/// `slowStartBatch`'s batch sizes for `count` creations: 1, 2, 4, … the last one trimmed to what
/// remains. Upstream stops at the first batch with a failure; the caller does too.
pub fn slow_start_batches(count: usize) -> Vec<usize> {
    let mut batches = Vec::new();
    let mut remaining = count;
    let mut size = remaining.min(SLOW_START_INITIAL_BATCH_SIZE);
    while size > 0 {
        batches.push(size);
        remaining -= size;
        size = size.saturating_mul(2).min(remaining);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: i64 = 3_600_000;
    const MONTH_MS: i64 = 30 * 24 * HOUR_MS;
    const NOW: i64 = 100 * MONTH_MS;

    #[allow(clippy::too_many_arguments)]
    fn pod(
        node: &str,
        phase: &str,
        ready: bool,
        restarts: i32,
        ready_since: Option<i64>,
        created: Option<i64>,
        deletion_cost: i32,
    ) -> PodRankInfo {
        PodRankInfo {
            // The upstream test pods have names but no UIDs: the UID tie-break sees "" == "".
            uid: Default::default(),
            node_name: node.into(),
            phase: phase.into(),
            ready,
            ready_transition_ms: if ready { ready_since } else { None },
            deletion_cost,
            max_restarts: restarts,
            max_sidecar_restarts: 0,
            creation_ms: created,
            terminating: false,
        }
    }

    /// §2 TestSortingActivePods: the full expected order, from every rotation of the input and
    /// its reverse.
    #[test]
    fn sorting_active_pods_full_order() {
        let month_ago = Some(NOW - MONTH_MS);
        let expected = vec![
            ("unscheduled", pod("", "Pending", false, 0, None, None, 0)),
            (
                "scheduledButPending",
                pod("bar", "Pending", false, 0, None, None, 0),
            ),
            (
                "unknownPhase",
                pod("foo", "Unknown", false, 0, None, None, 0),
            ),
            (
                "runningButNotReady",
                pod("foo", "Running", false, 0, None, None, 0),
            ),
            (
                "runningNoLastTransitionTime",
                pod("foo", "Running", true, 3, None, None, 0),
            ),
            (
                "runningWithLastTransitionTime",
                pod("foo", "Running", true, 3, Some(NOW), None, 0),
            ),
            (
                "runningLongerTime",
                pod("foo", "Running", true, 3, month_ago, None, 0),
            ),
            (
                "lowerContainerRestartCount",
                pod("foo", "Running", true, 2, month_ago, Some(NOW), 0),
            ),
            (
                "oldest",
                pod("foo", "Running", true, 2, month_ago, month_ago, 0),
            ),
        ];
        let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
        for rotation in 0..expected.len() {
            for reverse in [false, true] {
                let mut input = expected.clone();
                input.rotate_left(rotation);
                if reverse {
                    input.reverse();
                }
                sort_by_less(&mut input, |a, b| active_pods_less(&a.1, &b.1));
                let got: Vec<&str> = input.iter().map(|(n, _)| *n).collect();
                assert_eq!(got, names, "rotation {rotation} reverse {reverse}");
            }
        }
    }

    struct RankPods {
        unscheduled: PodRankInfo,
        scheduled_pending: PodRankInfo,
        unknown_phase: PodRankInfo,
        running_not_ready: PodRankInfo,
        ready_no_last_transition_time: PodRankInfo,
        ready_now: PodRankInfo,
        ready_then: PodRankInfo,
        ready_now_high_restarts: PodRankInfo,
        ready_now_created_then: PodRankInfo,
        low_deletion_cost: PodRankInfo,
        high_deletion_cost: PodRankInfo,
        unscheduled_5_hours: PodRankInfo,
        unscheduled_8_hours: PodRankInfo,
        ready_2_hours: PodRankInfo,
        ready_5_hours: PodRankInfo,
        ready_8_hours: PodRankInfo,
    }

    /// The pods of TestSortingActivePodsWithRanks.
    fn rank_pods() -> RankPods {
        let now = Some(NOW);
        let then = Some(NOW - MONTH_MS);
        let h = |n: i64| Some(NOW - n * HOUR_MS);
        let p = |node, phase, ready, restarts, since, created, cost| {
            let mut pod = pod(node, phase, ready, restarts, since, created, cost);
            pod.terminating = false;
            pod
        };
        RankPods {
            unscheduled: p("", "Pending", false, 0, None, None, 0),
            scheduled_pending: p("node", "Pending", false, 0, None, None, 0),
            unknown_phase: p("node", "Unknown", false, 0, None, None, 0),
            running_not_ready: p("node", "Running", false, 0, None, None, 0),
            ready_no_last_transition_time: p("node", "Running", true, 0, None, None, 0),
            ready_now: p("node", "Running", true, 0, now, now, 0),
            ready_then: p("node", "Running", true, 0, then, then, 0),
            ready_now_high_restarts: p("node", "Running", true, 9001, now, now, 0),
            ready_now_created_then: p("node", "Running", true, 0, now, then, 0),
            low_deletion_cost: p("node", "Running", true, 0, now, then, 10),
            high_deletion_cost: p("node", "Running", true, 0, now, then, 100),
            unscheduled_5_hours: p("", "Pending", false, 0, h(5), h(5), 0),
            unscheduled_8_hours: p("", "Pending", false, 0, h(8), h(8), 0),
            ready_2_hours: p("", "Running", true, 0, h(2), then, 0),
            ready_5_hours: p("", "Running", true, 0, h(5), then, 0),
            ready_8_hours: p("", "Running", true, 0, h(8), then, 0),
        }
    }

    /// §2 TestSortingActivePodsWithRanks, inequality pairs: `lesser` strictly before `greater`.
    #[test]
    fn active_pods_with_ranks_pairs() {
        let p = rank_pods();
        let on = RankFeatures::default();
        let no_cost = RankFeatures {
            pod_deletion_cost: false,
            ..on
        };
        let cases: Vec<(&PodRankInfo, usize, &PodRankInfo, usize, RankFeatures, &str)> = vec![
            (&p.unscheduled, 1, &p.scheduled_pending, 2, on, "rule 1"),
            (
                &p.unscheduled,
                2,
                &p.scheduled_pending,
                1,
                on,
                "rule 1 beats rank",
            ),
            (&p.scheduled_pending, 1, &p.unknown_phase, 2, on, "rule 2"),
            (&p.unknown_phase, 1, &p.running_not_ready, 2, on, "rule 2"),
            (
                &p.running_not_ready,
                1,
                &p.ready_no_last_transition_time,
                1,
                on,
                "rule 3",
            ),
            (
                &p.ready_no_last_transition_time,
                1,
                &p.ready_now,
                1,
                on,
                "rule 6, zero time newest",
            ),
            (
                &p.ready_now,
                2,
                &p.ready_no_last_transition_time,
                1,
                on,
                "rule 5",
            ),
            (&p.ready_now, 1, &p.ready_then, 1, on, "rule 6"),
            (&p.ready_now, 2, &p.ready_then, 1, on, "rule 5"),
            (&p.ready_now_high_restarts, 1, &p.ready_now, 1, on, "rule 7"),
            (&p.ready_now, 2, &p.ready_now_high_restarts, 1, on, "rule 5"),
            (&p.ready_now, 1, &p.ready_now_created_then, 1, on, "rule 8"),
            (&p.ready_now_created_then, 2, &p.ready_now, 1, on, "rule 5"),
            (
                &p.low_deletion_cost,
                2,
                &p.high_deletion_cost,
                1,
                on,
                "rule 4 beats rank",
            ),
            (
                &p.high_deletion_cost,
                2,
                &p.low_deletion_cost,
                1,
                no_cost,
                "rule 5, cost off",
            ),
            (
                &p.ready_2_hours,
                1,
                &p.ready_5_hours,
                1,
                on,
                "rule 6, log2 buckets 42 vs 44",
            ),
        ];
        for (lesser, lr, greater, gr, features, why) in cases {
            let l = RankedPod {
                pod: lesser,
                rank: lr,
            };
            let g = RankedPod {
                pod: greater,
                rank: gr,
            };
            assert!(
                active_pods_with_ranks_less(&l, &g, Some(NOW), features),
                "{why}: {lesser:?} < {greater:?}"
            );
            assert!(
                !active_pods_with_ranks_less(&g, &l, Some(NOW), features),
                "{why}: not {greater:?} < {lesser:?}"
            );
        }
    }

    /// §2 TestSortingActivePodsWithRanks, equality pairs (both ranks 1).
    #[test]
    fn active_pods_with_ranks_equal_pairs() {
        let p = rank_pods();
        let cases: Vec<(&PodRankInfo, &PodRankInfo)> = vec![
            (&p.unscheduled, &p.unscheduled),
            (&p.scheduled_pending, &p.scheduled_pending),
            (&p.unknown_phase, &p.unknown_phase),
            (&p.running_not_ready, &p.running_not_ready),
            (&p.ready_now_created_then, &p.ready_now_created_then),
            (&p.ready_now, &p.ready_now),
            (&p.ready_then, &p.ready_then),
            (&p.ready_now_high_restarts, &p.ready_now_high_restarts),
            // Same log2 bucket (44) and the same (empty) UID.
            (&p.unscheduled_5_hours, &p.unscheduled_8_hours),
            (&p.ready_5_hours, &p.ready_8_hours),
        ];
        for (a, b) in cases {
            let x = RankedPod { pod: a, rank: 1 };
            let y = RankedPod { pod: b, rank: 1 };
            let on = RankFeatures::default();
            assert!(
                !active_pods_with_ranks_less(&x, &y, Some(NOW), on),
                "{a:?} vs {b:?}"
            );
            assert!(
                !active_pods_with_ranks_less(&y, &x, Some(NOW), on),
                "{b:?} vs {a:?}"
            );
        }
    }

    #[test]
    fn logarithmic_buckets_use_uid_then_plain_time_when_off() {
        let p = rank_pods();
        let mut a = p.ready_5_hours.clone();
        let mut b = p.ready_8_hours.clone();
        a.uid = "b".into();
        b.uid = "a".into();
        let (x, y) = (
            RankedPod { pod: &a, rank: 1 },
            RankedPod { pod: &b, rank: 1 },
        );
        let on = RankFeatures::default();
        // Same bucket: the smaller UID goes first, although `a` became ready later.
        assert!(active_pods_with_ranks_less(&y, &x, Some(NOW), on));
        let off = RankFeatures {
            logarithmic_scale_down: false,
            ..on
        };
        // Without buckets the more recently ready pod goes first.
        assert!(active_pods_with_ranks_less(&x, &y, Some(NOW), off));
        // A zero `now` also falls back to the plain comparison.
        assert!(active_pods_with_ranks_less(&x, &y, None, on));
        assert_eq!(log2_bucket(NOW - 2 * HOUR_MS, NOW), 42);
        assert_eq!(log2_bucket(NOW - 5 * HOUR_MS, NOW), 44);
        assert_eq!(log2_bucket(NOW - 8 * HOUR_MS, NOW), 44);
        assert_eq!(log2_bucket(NOW, NOW), -1);
    }

    #[test]
    fn ranks_count_active_related_pods_per_node() {
        let mk = |node: &str, phase: &str, terminating: bool| PodRankInfo {
            node_name: node.into(),
            phase: phase.into(),
            terminating,
            ..Default::default()
        };
        let related = vec![
            mk("a", "Running", false),
            mk("a", "Running", false),
            mk("a", "Failed", false),
            mk("a", "Running", true),
            mk("b", "Running", false),
            mk("", "Pending", false),
        ];
        let pods = vec![
            mk("a", "Running", false),
            mk("b", "Running", false),
            mk("c", "Running", false),
            mk("", "Pending", false),
        ];
        assert_eq!(
            ranks_by_related_pods_on_same_node(&pods, &related),
            vec![2, 1, 0, 1]
        );
    }

    #[test]
    fn pods_to_delete_prefers_doubled_up_nodes_and_skips_sorting_when_all_go() {
        let mk = |uid: &str, node: &str| PodRankInfo {
            uid: uid.into(),
            node_name: node.into(),
            phase: "Running".into(),
            ready: true,
            ready_transition_ms: Some(0),
            creation_ms: Some(0),
            ..Default::default()
        };
        let pods = vec![mk("1", "a"), mk("2", "b"), mk("3", "b")];
        let got = pods_to_delete(&pods, &pods, 1, Some(NOW), RankFeatures::default());
        assert_eq!(got, vec![1], "a pod on the doubled-up node b, lowest UID");
        assert_eq!(
            pods_to_delete(&pods, &pods, 3, Some(NOW), RankFeatures::default()),
            vec![0, 1, 2]
        );
        assert_eq!(
            pods_to_delete(&pods, &pods, 9, Some(NOW), RankFeatures::default()),
            vec![0, 1, 2]
        );
    }

    /// §1.6: Ready, and Ready for strictly longer than minReadySeconds.
    #[test]
    fn pod_availability() {
        let cases = [
            (false, Some(0), 0, 10_000, false),
            (true, None, 0, 10_000, true),
            (true, None, 5, 10_000, false),
            (true, Some(0), 5, 5_000, false),
            (true, Some(0), 5, 5_001, true),
            (true, Some(0), 10, 5_001, false),
        ];
        for (ready, since, mrs, now, want) in cases {
            assert_eq!(
                is_pod_available(ready, since, mrs, now),
                want,
                "{ready} {since:?} {mrs} {now}"
            );
        }
    }

    #[test]
    fn deletion_cost_parsing() {
        let cases = [
            (None, 0),
            (Some("10"), 10),
            (Some("-5"), -5),
            (Some("0"), 0),
            (Some("+10"), 0),
            (Some("008"), 0),
            (Some(""), 0),
            (Some("abc"), 0),
            (Some("2147483648"), 0),
            (Some("2147483647"), i32::MAX),
        ];
        for (v, want) in cases {
            assert_eq!(deletion_cost_from_annotation(v), want, "{v:?}");
        }
    }

    #[test]
    fn slow_start_and_burst() {
        assert_eq!(slow_start_batches(0), Vec::<usize>::new());
        assert_eq!(slow_start_batches(1), vec![1]);
        assert_eq!(slow_start_batches(10), vec![1, 2, 4, 3]);
        assert_eq!(slow_start_batches(15), vec![1, 2, 4, 8]);
        assert_eq!(
            slow_start_batches(500),
            vec![1, 2, 4, 8, 16, 32, 64, 128, 245]
        );
        assert_eq!(replica_diff(0, 1000), ReplicaDiff::Create(500));
        assert_eq!(replica_diff(3, 1), ReplicaDiff::Delete(2));
        assert_eq!(replica_diff(3, 3), ReplicaDiff::None);
        assert_eq!(replica_diff(2, -1), ReplicaDiff::Delete(2));
    }

    #[test]
    fn sort_by_less_is_stable_and_survives_inconsistent_comparators() {
        let mut v = vec![(1, 'a'), (0, 'b'), (1, 'c'), (0, 'd')];
        sort_by_less(&mut v, |x, y| x.0 < y.0);
        assert_eq!(v, vec![(0, 'b'), (0, 'd'), (1, 'a'), (1, 'c')]);
        // A comparator that says "less" both ways must not panic or lose elements.
        let mut w: Vec<u32> = (0..50).rev().collect();
        sort_by_less(&mut w, |_, _| true);
        let mut sorted = w.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
}
