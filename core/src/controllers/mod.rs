//! The controllers, one module per Kubernetes controller (`pkg/controller/...`).

pub mod controller_utils;
pub mod deployment;
