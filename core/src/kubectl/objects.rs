//! Kind-generic access to the API server's stores, for commands that take a resource type
//! at run time (`get`, `delete`, `label`, …).

use crate::api::*;
use crate::apiserver::{ApiError, ApiServer, DeleteOptions, Deleted, Stored};
use std::collections::BTreeMap;

/// Runs `$body` with `$T` bound to the Rust type of `$kind`.
macro_rules! with_kind {
    ($kind:expr, $T:ident => $body:expr) => {
        match $kind {
            Kind::Namespace => {
                type $T = Namespace;
                $body
            }
            Kind::Node => {
                type $T = Node;
                $body
            }
            Kind::Pod => {
                type $T = Pod;
                $body
            }
            Kind::ReplicationController => {
                type $T = ReplicationController;
                $body
            }
            Kind::ReplicaSet => {
                type $T = ReplicaSet;
                $body
            }
            Kind::Deployment => {
                type $T = Deployment;
                $body
            }
            Kind::Service => {
                type $T = Service;
                $body
            }
            Kind::Endpoints => {
                type $T = Endpoints;
                $body
            }
            Kind::EndpointSlice => {
                type $T = EndpointSlice;
                $body
            }
            Kind::Event => {
                type $T = Event;
                $body
            }
            Kind::Lease => {
                type $T = Lease;
                $body
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use with_kind;

/// The namespace a request for `kind` addresses ("" for cluster-scoped kinds).
pub fn scope(kind: Kind, namespace: &str) -> &str {
    if kind.namespaced() {
        namespace
    } else {
        ""
    }
}

/// The object `kind`/`name` in `namespace`.
pub fn get(api: &ApiServer, kind: Kind, namespace: &str, name: &str) -> Option<Object> {
    let ns = scope(kind, namespace);
    with_kind!(kind, T => T::store(api).get_by_name(ns, name).cloned().map(T::into_object))
}

/// Objects of `kind` in `namespace` (every namespace when `None`), by namespace then name.
pub fn list(api: &ApiServer, kind: Kind, namespace: Option<&str>) -> Vec<Object> {
    with_kind!(kind, T => {
        let store = T::store(api);
        match namespace {
            Some(ns) if kind.namespaced() => {
                store.in_namespace(ns).cloned().map(T::into_object).collect()
            }
            _ => store.iter().cloned().map(T::into_object).collect(),
        }
    })
}

/// Deletes `kind`/`name`.
pub fn delete(
    api: &mut ApiServer,
    kind: Kind,
    namespace: &str,
    name: &str,
    opts: DeleteOptions,
) -> Result<Deleted, ApiError> {
    let ns = scope(kind, namespace);
    with_kind!(kind, T => api.delete::<T>(ns, name, opts))
}

/// Changes the labels (`annotations: false`) or annotations of `kind`/`name`.
pub fn modify_meta(
    api: &mut ApiServer,
    kind: Kind,
    namespace: &str,
    name: &str,
    annotations: bool,
    f: impl FnOnce(&mut BTreeMap<String, String>),
) -> Result<Object, ApiError> {
    let ns = scope(kind, namespace);
    with_kind!(kind, T => api
        .modify::<T>(ns, name, |o| {
            let m = o.meta_mut();
            f(if annotations { &mut m.annotations } else { &mut m.labels })
        })
        .map(T::into_object))
}

/// Applies a JSON merge patch to `kind`/`name`.
pub fn merge_patch(
    api: &mut ApiServer,
    kind: Kind,
    namespace: &str,
    name: &str,
    patch: &serde_json::Value,
) -> Result<Object, ApiError> {
    let ns = scope(kind, namespace);
    with_kind!(kind, T => api.merge_patch::<T>(ns, name, patch).map(T::into_object))
}

/// Creates a typed object held in an [`Object`].
pub fn create(api: &mut ApiServer, obj: &Object) -> Result<Object, ApiError> {
    with_kind!(obj.kind(), T => match T::from_object(obj) {
        Some(x) => api.create((**x).clone()).map(T::into_object),
        None => Err(ApiError::not_found(obj.kind(), &obj.meta().name)),
    })
}

/// Replaces a typed object held in an [`Object`].
pub fn update(api: &mut ApiServer, obj: &Object) -> Result<Object, ApiError> {
    with_kind!(obj.kind(), T => match T::from_object(obj) {
        Some(x) => api.update((**x).clone()).map(T::into_object),
        None => Err(ApiError::not_found(obj.kind(), &obj.meta().name)),
    })
}

/// Rebuilds a typed object from JSON of its kind.
pub fn from_json(kind: Kind, v: serde_json::Value) -> Result<Object, String> {
    with_kind!(kind, T => serde_json::from_value::<T>(v)
        .map(|x| T::into_object(std::rc::Rc::new(x)))
        .map_err(|e| e.to_string()))
}

/// Sets the namespace of an object held in an [`Object`].
pub fn with_namespace(obj: &Object, namespace: &str) -> Object {
    with_kind!(obj.kind(), T => match T::from_object(obj) {
        Some(x) => {
            let mut x = (**x).clone();
            x.meta_mut().namespace = namespace.into();
            T::into_object(std::rc::Rc::new(x))
        }
        None => obj.clone(),
    })
}
