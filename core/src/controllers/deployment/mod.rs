//! The Deployment controller (`pkg/controller/deployment`).
//!
//! The controller's arithmetic is pure functions over plain snapshots ([`util::RsSnapshot`],
//! [`util::DeploymentParams`]); the controller proper ([`controller::DeploymentController`])
//! maps store objects to these, calls one of the planners and applies the returned
//! [`util::RsAction`]s through the API server.
//!
//! * [`controller`] — `deployment_controller.go`: the reconcile loop, ReplicaSet adoption,
//!   finding / creating the new ReplicaSet, status writes, progress-deadline requeues.
//! * [`util`] — `deployment_util.go`: fenceposts, `NewRSNewReplicas`, annotations, ordering,
//!   completion / progress / timeout checks, the pod-template-hash.
//! * [`rolling`] — `rolling.go`: one `rolloutRolling` sync.
//! * [`recreate`] — `recreate.go`: one `rolloutRecreate` sync.
//! * [`sync`] — `sync.go` / `progress.go`: proportional `scale`, scaling-event detection,
//!   revision-history cleanup, status and conditions.

pub mod controller;
pub mod recreate;
pub mod rolling;
pub mod sync;
pub mod util;

pub use controller::DeploymentController;
