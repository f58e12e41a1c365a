//! Deployment and ReplicaSet validation (`pkg/apis/apps/validation/validation.go`:
//! `ValidateDeployment`, `ValidateDeploymentSpec`, `ValidateDeploymentStrategy`,
//! `ValidateRollingUpdateDeployment`, `ValidateReplicaSet`, and the apps/v1 strategies'
//! selector immutability on update), spec §7.2 and §7.4 rows 33-40.
//!
//! The API works on internal types where absent values are Go zero values (`replicas` 0,
//! `maxSurge` integer 0, strategy type ""); the checks below read ours the same way.

use serde::Serialize;

use super::field::{self, BadValue, ErrorList, Path};
use super::meta::{
    name_is_dns_subdomain, validate_nonnegative_field, validate_object_meta,
    validate_object_meta_update, FIELD_IMMUTABLE,
};
use super::names::is_valid_percent;
use super::pod::validate_template_for_controller;
use crate::api::apps::{Deployment, DeploymentStrategy, ReplicaSet, RollingUpdateDeployment};
use crate::api::core::PodTemplateSpec;
use crate::api::intstr::IntOrString;
use crate::api::meta::LabelSelector;
use crate::labels::{validate_label_selector, Selector};

/// `ValidateDeployment` for a create.
pub fn validate_deployment(d: &Deployment) -> ErrorList {
    let mut errs = validate_object_meta(
        &d.metadata,
        true,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_deployment_spec(d));
    errs
}

/// `ValidateDeploymentUpdate` plus the apps/v1 rule that `spec.selector` never changes.
pub fn validate_deployment_update(new: &Deployment, old: &Deployment) -> ErrorList {
    let mut errs =
        validate_object_meta_update(&new.metadata, &old.metadata, &Path::new("metadata"));
    // The spec is all the spec checks read, and the stored one passed them: only a changed
    // spec is checked again (status writes, several per rollout step, skip it).
    if new.spec != old.spec {
        errs.extend(validate_deployment_spec(new));
    }
    errs.extend(selector_immutable(&new.spec.selector, &old.spec.selector));
    errs
}

/// `ValidateReplicaSet` for a create.
pub fn validate_replica_set(rs: &ReplicaSet) -> ErrorList {
    let mut errs = validate_object_meta(
        &rs.metadata,
        true,
        name_is_dns_subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_replica_set_spec(rs));
    errs
}

/// `ValidateReplicaSetUpdate` plus the apps/v1 selector immutability.
pub fn validate_replica_set_update(new: &ReplicaSet, old: &ReplicaSet) -> ErrorList {
    let mut errs =
        validate_object_meta_update(&new.metadata, &old.metadata, &Path::new("metadata"));
    // As for Deployments: an unchanged spec passed these checks when it was stored.
    if new.spec != old.spec {
        errs.extend(validate_replica_set_spec(new));
    }
    errs.extend(selector_immutable(&new.spec.selector, &old.spec.selector));
    errs
}

fn selector_value(s: &Option<LabelSelector>) -> BadValue {
    match s {
        Some(s) => BadValue::json(s),
        None => BadValue::Null,
    }
}

fn selector_immutable(new: &Option<LabelSelector>, old: &Option<LabelSelector>) -> ErrorList {
    let mut errs = ErrorList::new();
    if new != old {
        errs.push(field::invalid(
            &Path::new("spec").child("selector"),
            selector_value(new),
            FIELD_IMMUTABLE,
        ));
    }
    errs
}

/// The selector checks shared by Deployments and ReplicaSets (both say "for deployment"
/// upstream), then the template checked against the resulting selector. A missing selector
/// selects nothing, so the template labels then "do not match" as well — upstream reports both.
fn validate_selector_and_template(
    selector: &Option<LabelSelector>,
    template: &PodTemplateSpec,
    kind: &str,
    sp: &Path,
) -> ErrorList {
    let mut errs = ErrorList::new();
    let sel_path = sp.child("selector");
    match selector {
        None => errs.push(field::required(&sel_path, "")),
        Some(s) => {
            errs.extend(validate_label_selector(Some(s), &sel_path));
            if s.match_labels.is_empty() && s.match_expressions.is_empty() {
                errs.push(field::invalid(
                    &sel_path,
                    BadValue::json(s),
                    "empty selector is invalid for deployment",
                ));
            }
        }
    }
    match Selector::from_label_selector(selector.as_ref()) {
        Err(_) => errs.push(field::invalid(
            &sel_path,
            selector_value(selector),
            "invalid label selector",
        )),
        Ok(sel) => errs.extend(validate_template_for_controller(
            template,
            &sel,
            kind,
            &sp.child("template"),
        )),
    }
    errs
}

fn validate_deployment_spec(d: &Deployment) -> ErrorList {
    let sp = Path::new("spec");
    let s = &d.spec;
    let mut errs =
        validate_nonnegative_field(i64::from(s.replicas.unwrap_or(0)), &sp.child("replicas"));
    errs.extend(validate_selector_and_template(
        &s.selector,
        &s.template,
        "ReplicaSet",
        &sp,
    ));
    errs.extend(validate_deployment_strategy(
        &s.strategy,
        &sp.child("strategy"),
    ));
    let min_ready = s.min_ready_seconds.unwrap_or(0);
    errs.extend(validate_nonnegative_field(
        i64::from(min_ready),
        &sp.child("minReadySeconds"),
    ));
    if let Some(limit) = s.revision_history_limit {
        errs.extend(validate_nonnegative_field(
            i64::from(limit),
            &sp.child("revisionHistoryLimit"),
        ));
    }
    if let Some(pds) = s.progress_deadline_seconds {
        let p = sp.child("progressDeadlineSeconds");
        errs.extend(validate_nonnegative_field(i64::from(pds), &p));
        if pds <= min_ready {
            errs.push(field::invalid(
                &p,
                pds,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

fn validate_replica_set_spec(rs: &ReplicaSet) -> ErrorList {
    let sp = Path::new("spec");
    let s = &rs.spec;
    let mut errs =
        validate_nonnegative_field(i64::from(s.replicas.unwrap_or(0)), &sp.child("replicas"));
    errs.extend(validate_nonnegative_field(
        i64::from(s.min_ready_seconds.unwrap_or(0)),
        &sp.child("minReadySeconds"),
    ));
    errs.extend(validate_selector_and_template(
        &s.selector,
        &s.template,
        "ReplicaSet",
        &sp,
    ));
    errs
}

/// The internal `apps.DeploymentStrategy` as upstream prints it in the unsupported-type error
/// (internal types carry no JSON tags, so Go's field names appear).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InternalStrategy<'a> {
    #[serde(rename = "Type")]
    type_: &'a str,
    rolling_update: Option<InternalRollingUpdate>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InternalRollingUpdate {
    max_unavailable: IntOrString,
    max_surge: IntOrString,
}

fn int_or_zero(v: &Option<IntOrString>) -> IntOrString {
    v.clone().unwrap_or(IntOrString::Int(0))
}

/// `ValidateDeploymentStrategy`.
fn validate_deployment_strategy(s: &DeploymentStrategy, path: &Path) -> ErrorList {
    let mut errs = ErrorList::new();
    match s.type_.as_deref().unwrap_or("") {
        "Recreate" => {
            if s.rolling_update.is_some() {
                errs.push(field::forbidden(
                    &path.child("rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match &s.rolling_update {
            None => errs.push(field::required(
                &path.child("rollingUpdate"),
                "this should be defaulted and never be nil",
            )),
            Some(ru) => errs.extend(validate_rolling_update(ru, &path.child("rollingUpdate"))),
        },
        other => {
            let value = InternalStrategy {
                type_: other,
                rolling_update: s.rolling_update.as_ref().map(|ru| InternalRollingUpdate {
                    max_unavailable: int_or_zero(&ru.max_unavailable),
                    max_surge: int_or_zero(&ru.max_surge),
                }),
            };
            errs.push(field::not_supported(
                path,
                BadValue::json(&value),
                &["Recreate", "RollingUpdate"],
            ));
        }
    }
    errs
}

/// `getPercentValue`: the number of a valid `N%` string.
fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::String(s) if is_valid_percent(s).is_empty() => {
            s.strip_suffix('%').and_then(|d| d.parse().ok())
        }
        _ => None,
    }
}

/// `getIntOrPercentValue`: a percent's number, an int's value, or `Atoi` of any other string
/// (0 when it does not parse, as Go's `IntValue` does).
fn int_or_percent_value(v: &IntOrString) -> i64 {
    match (percent_value(v), v) {
        (Some(p), _) => p,
        (None, IntOrString::Int(i)) => i64::from(*i),
        (None, IntOrString::String(s)) => s.parse().unwrap_or(0),
    }
}

/// `ValidatePositiveIntOrPercent`.
fn validate_positive_int_or_percent(v: &IntOrString, path: &Path) -> ErrorList {
    match v {
        IntOrString::String(s) => is_valid_percent(s)
            .iter()
            .map(|m| field::invalid(path, BadValue::json(v), m))
            .collect(),
        IntOrString::Int(i) => validate_nonnegative_field(i64::from(*i), path),
    }
}

/// `ValidateRollingUpdateDeployment`: each value an int ≥ 0 or `N%`; not both 0;
/// maxUnavailable at most 100%.
fn validate_rolling_update(ru: &RollingUpdateDeployment, path: &Path) -> ErrorList {
    let unavailable = int_or_zero(&ru.max_unavailable);
    let surge = int_or_zero(&ru.max_surge);
    let up = path.child("maxUnavailable");
    let mut errs = validate_positive_int_or_percent(&unavailable, &up);
    errs.extend(validate_positive_int_or_percent(
        &surge,
        &path.child("maxSurge"),
    ));
    if int_or_percent_value(&unavailable) == 0 && int_or_percent_value(&surge) == 0 {
        errs.push(field::invalid(
            &up,
            BadValue::json(&unavailable),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    if percent_value(&unavailable).is_some_and(|p| p > 100) {
        errs.push(field::invalid(
            &up,
            BadValue::json(&unavailable),
            "must not be greater than 100%",
        ));
    }
    errs
}

#[cfg(test)]
mod tests;
