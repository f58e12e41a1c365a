//! `kubeplay-core`: the whole simulated Kubernetes cluster behind Kubeplay.
//!
//! Pure Rust with no browser types, so the same code runs natively (CLI, tests, benchmarks)
//! and in the browser (`kubeplay-web`). Everything is deterministic: virtual time and one
//! seeded RNG. See `ARCHITECTURE.md` for the module map.

#[cfg(all(feature = "cli", not(target_arch = "wasm32")))]
pub mod allocator;
pub mod api;
pub mod apiserver;
pub mod conformance;
pub mod console;
pub mod controllers;
pub mod dataplane;
pub mod export;
pub mod infra;
pub mod kubectl;
pub mod labels;
pub mod lesson;
pub mod manifest;
pub mod proxy;
pub mod rng;
pub mod share;
pub mod sim;
pub mod sort;
pub mod time;
pub mod view;

pub use sim::{Sim, SimConfig, Timings};
