//! The Deployment controller (`pkg/controller/deployment`).
//!
//! Phase 1 holds only the controller's arithmetic as pure functions over plain snapshots
//! ([`util::RsSnapshot`], [`util::DeploymentParams`]): the controller proper maps store objects
//! to these, calls one of the planners and applies the returned [`util::RsAction`]s.
//!
//! * [`util`] — `deployment_util.go`: fenceposts, `NewRSNewReplicas`, annotations, ordering,
//!   completion / progress / timeout checks, the pod-template-hash.
//! * [`rolling`] — `rolling.go`: one `rolloutRolling` sync.
//! * [`recreate`] — `recreate.go`: one `rolloutRecreate` sync.
//! * [`sync`] — `sync.go` / `progress.go`: proportional `scale`, scaling-event detection,
//!   revision-history cleanup, status and conditions.

pub mod recreate;
pub mod rolling;
pub mod sync;
pub mod util;
