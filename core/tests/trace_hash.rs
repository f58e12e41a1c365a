//! Determinism: the reference scenario's trace hash is the golden value that the browser test
//! (web/tests/trace.rs) checks too, so native and wasm runs agree.

use kubeplay_core::conformance::{reference_trace_hash, REFERENCE_TRACE_HASH};

#[test]
fn the_reference_scenario_has_the_golden_trace_hash_natively() {
    let (first, failed) = reference_trace_hash();
    assert!(
        failed.is_empty(),
        "every scenario line succeeds: {failed:?}"
    );
    assert_eq!(first, reference_trace_hash().0, "two native runs differ");
    assert_eq!(
        first, REFERENCE_TRACE_HASH,
        "update REFERENCE_TRACE_HASH if the change of behaviour is deliberate"
    );
}
