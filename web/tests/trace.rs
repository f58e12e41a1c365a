//! Determinism across targets: the reference scenario, run here in headless Chromium as wasm,
//! must produce the same trace hash as the native test suite checks (core/tests/trace_hash.rs).

use kubeplay_core::conformance::{reference_trace_hash, REFERENCE_TRACE_HASH};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_reference_scenario_hashes_the_same_in_the_browser_as_natively() {
    let (hash, failed) = reference_trace_hash();
    assert!(
        failed.is_empty(),
        "every scenario line succeeds: {failed:?}"
    );
    assert_eq!(hash, REFERENCE_TRACE_HASH);
}
