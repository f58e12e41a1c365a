//! Shared helpers for Kubeplay's cross-crate tests.
