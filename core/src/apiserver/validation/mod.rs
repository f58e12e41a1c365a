//! API object validation as the API server runs it (`pkg/apis/*/validation`), producing
//! [`field::ErrorList`]s that render exactly like the real API server's messages (spec §7).

pub mod apps;
pub mod field;
pub mod meta;
pub mod names;
pub mod pod;
pub mod service;
