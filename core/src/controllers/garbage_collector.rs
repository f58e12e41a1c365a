//! The garbage collector (`pkg/controller/garbagecollector`), background cascading deletion
//! only: when an owner disappears, its dependents go too (ReplicaSets of a Deployment, Pods of a
//! ReplicaSet or ReplicationController, EndpointSlices of a Service, …), deleted through the API
//! server like any other client would (pods therefore terminate gracefully).
//!
//! Upstream keeps a graph of every object's ownerReferences and runs `attemptToDeleteItem` on
//! the dependents of an owner that vanished, and on any object that names an owner the graph has
//! never seen (a "virtual" node that turns out to be absent). For each such dependent it sorts
//! the ownerReferences into *solid* (the owner exists with that UID) and *dangling* (it does
//! not): with no solid owner left the dependent is deleted; otherwise the dangling references
//! are removed from it. Here the graph is the stores' owner index, and a work-queue key is the
//! owner's UID (`ObjectKey::cluster(uid)`), since dependents are found by owner UID.
//!
//! Foreground deletion and orphaning (`propagationPolicy`, finalizers) are not modelled.

use super::{Controller, Ctx, Queue};
use crate::api::*;
use crate::apiserver::admission::Admit;
use crate::apiserver::{ApiServer, DeleteOptions, ObjectKey, Stored, WatchEvent, WatchEventType};
use crate::infra::Infra;

/// The garbage collector.
#[derive(Default)]
pub struct GarbageCollector;

/// A dependent of some owner, with enough to judge its ownerReferences.
struct Dependent {
    kind: Kind,
    key: ObjectKey,
    owners: Vec<OwnerReference>,
    terminating: bool,
}

/// Calls `$f::<T>(args…)` with `T` the type stored for `kind`.
macro_rules! with_kind {
    ($kind:expr, $f:ident ( $($arg:expr),* )) => {
        match $kind {
            Kind::Namespace => $f::<Namespace>($($arg),*),
            Kind::Node => $f::<Node>($($arg),*),
            Kind::Pod => $f::<Pod>($($arg),*),
            Kind::ReplicationController => $f::<ReplicationController>($($arg),*),
            Kind::ReplicaSet => $f::<ReplicaSet>($($arg),*),
            Kind::Deployment => $f::<Deployment>($($arg),*),
            Kind::Service => $f::<Service>($($arg),*),
            Kind::Endpoints => $f::<Endpoints>($($arg),*),
            Kind::EndpointSlice => $f::<EndpointSlice>($($arg),*),
            Kind::Event => $f::<Event>($($arg),*),
            Kind::Lease => $f::<Lease>($($arg),*),
        }
    };
}

fn dependents_of<T: Stored>(api: &ApiServer, uid: &str, out: &mut Vec<Dependent>) {
    for o in T::store(api).owned_by(uid) {
        let m = o.meta();
        out.push(Dependent {
            kind: T::KIND,
            key: ObjectKey::of(&*o),
            owners: (*m.owner_references).clone(),
            terminating: m.deletion_timestamp.is_some(),
        });
    }
}

fn has_uid<T: Stored>(api: &ApiServer, uid: &str, namespace: &str) -> bool {
    T::store(api)
        .get_by_uid(uid)
        .is_some_and(|o| !T::KIND.namespaced() || o.meta().namespace == namespace)
}

fn delete_object<T: Stored + Admit>(api: &mut ApiServer, key: &ObjectKey) {
    let _ = api.delete::<T>(&key.namespace, &key.name, DeleteOptions::default());
}

fn drop_owner_refs<T: Stored + Admit>(
    api: &mut ApiServer,
    key: &ObjectKey,
    dangling: &[SharedStr],
) {
    let _ = api.modify::<T>(&key.namespace, &key.name, |o| {
        o.meta_mut()
            .owner_references
            .retain(|r| !dangling.contains(&r.uid));
    });
}

/// The stored kind an ownerReference names (by kind and API group; the version is ignored).
fn owner_kind(r: &OwnerReference) -> Option<Kind> {
    let group = r.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    Kind::ALL
        .into_iter()
        .find(|k| k.name() == r.kind && k.group() == group)
}

/// Whether the owner an ownerReference names exists with that UID, seen from a dependent in
/// `namespace` (a namespaced owner must live in the dependent's namespace). Kinds the simulator
/// does not store cannot exist in it, so they count as absent.
pub fn owner_exists(api: &ApiServer, r: &OwnerReference, namespace: &str) -> bool {
    match owner_kind(r) {
        Some(kind) => with_kind!(kind, has_uid(api, &r.uid, namespace)),
        None => false,
    }
}

fn has_dependents(api: &ApiServer, uid: &str) -> bool {
    let mut out = Vec::new();
    for kind in Kind::ALL {
        with_kind!(kind, dependents_of(api, uid, &mut out));
        if !out.is_empty() {
            return true;
        }
    }
    false
}

impl Controller for GarbageCollector {
    fn name(&self) -> &'static str {
        "garbage-collector-controller"
    }

    fn on_event(&mut self, ev: &WatchEvent, api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        match ev.type_ {
            WatchEventType::Deleted => {
                if let Some(o) = &ev.old {
                    let uid = &o.meta().uid;
                    if !uid.is_empty() && has_dependents(api, uid) {
                        queue.add(ObjectKey::cluster(uid.clone()));
                    }
                }
            }
            WatchEventType::Added | WatchEventType::Modified => {
                let Some(new) = &ev.new else { return };
                let refs = &new.meta().owner_references;
                if let Some(old) = &ev.old {
                    if old.meta().owner_references == *refs {
                        return;
                    }
                }
                // A dependent naming an owner that does not exist (never did, or is gone).
                for r in refs {
                    if !owner_exists(api, r, &new.meta().namespace) {
                        queue.add(ObjectKey::cluster(r.uid.clone()));
                    }
                }
            }
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let uid = &key.name;
        let mut deps = Vec::new();
        for kind in Kind::ALL {
            with_kind!(kind, dependents_of(ctx.api, uid, &mut deps));
        }
        for dep in deps {
            let (solid, dangling): (Vec<&OwnerReference>, Vec<&OwnerReference>) = dep
                .owners
                .iter()
                .partition(|r| owner_exists(ctx.api, r, &dep.key.namespace));
            if dangling.is_empty() {
                continue;
            }
            if solid.is_empty() {
                if !dep.terminating {
                    with_kind!(dep.kind, delete_object(ctx.api, &dep.key));
                }
            } else {
                let uids: Vec<SharedStr> = dangling.iter().map(|r| r.uid.clone()).collect();
                with_kind!(dep.kind, drop_owner_refs(ctx.api, &dep.key, &uids));
            }
        }
    }
}
