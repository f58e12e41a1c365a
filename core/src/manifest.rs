//! Manifests in and out: multi-document YAML and JSON into typed API objects (what `kubectl
//! apply -f` reads), and objects back out as kubectl's `-o yaml` / `-o json` print them.
//!
//! Reading is all-or-nothing: a file with one bad document (bad YAML, unknown kind, wrong
//! field type) yields an error and no objects, so a command that reads it changes nothing.
//! Fields the simulator does not model are kept on the objects (the types' `extra` maps) and
//! listed, so the user learns that `resources:` or `volumes:` have no effect here.

use crate::api::core::{Container, PodSpec, PodTemplateSpec};
use crate::api::meta::{Extra, ObjectMeta};
use crate::api::*;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::rc::Rc;

/// One object read from a manifest.
#[derive(Clone, Debug)]
pub struct ManifestObject {
    /// The typed object.
    pub object: Object,
    /// The document as written (JSON form), for apply's last-applied annotation.
    pub raw: Value,
    /// Paths of fields that are kept but not simulated (`spec.template.spec.volumes`).
    pub not_simulated: Vec<String>,
}

/// A manifest that could not be read. `message` is the whole stderr text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// What kubectl would print.
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ManifestError {}

fn err(message: String) -> ManifestError {
    ManifestError { message }
}

/// Kinds kubectl users commonly write that Kubeplay does not simulate, with their versions,
/// so that the error names the version as the real "no matches for kind" error would.
const KNOWN_UNSIMULATED: &[&str] = &[
    "Ingress",
    "IngressClass",
    "NetworkPolicy",
    "ConfigMap",
    "Secret",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "PodDisruptionBudget",
    "Gateway",
    "HTTPRoute",
    "LimitRange",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
];

fn kind_of(name: &str) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| k.name() == name)
}

/// Splits a file into JSON documents: a YAML stream (`---` separated) or a JSON stream.
/// Empty documents are skipped; `kind: List` (and `<Kind>List`) documents are flattened.
pub fn documents(text: &str, source: &str) -> Result<Vec<Value>, ManifestError> {
    let mut docs = Vec::new();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // From bytes, like every other JSON the page reads: a `from_str` reader would be a
        // second copy of serde_json's parser in the wasm (the result is the same for a `&str`).
        let stream = serde_json::Deserializer::from_slice(text.as_bytes()).into_iter::<Value>();
        for v in stream {
            let v = v.map_err(|e| {
                err(format!(
                    "error: error parsing {source}: json: line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    json_error_text(&e)
                ))
            })?;
            match v {
                Value::Array(items) => docs.extend(items),
                other => docs.push(other),
            }
        }
    } else {
        for de in serde_yaml_ng::Deserializer::from_str(text) {
            let v: Value = serde::Deserialize::deserialize(de).map_err(|e| {
                let at = e
                    .location()
                    .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
                    .unwrap_or_default();
                let msg = e.to_string();
                // serde_yaml appends " at line L column C"; the location is already in front.
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                err(format!(
                    "error: error parsing {source}: error converting YAML to JSON: yaml: {at}{msg}"
                ))
            })?;
            docs.push(v);
        }
    }
    let mut out = Vec::new();
    for d in docs {
        flatten_lists(d, &mut out);
    }
    Ok(out)
}

fn json_error_text(e: &serde_json::Error) -> String {
    let s = e.to_string();
    s.split(" at line ").next().unwrap_or(&s).to_string()
}

fn flatten_lists(doc: Value, out: &mut Vec<Value>) {
    match doc {
        Value::Null => {}
        Value::Object(ref m)
            if m.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && m.get("items").is_some_and(Value::is_array) =>
        {
            if let Some(Value::Array(items)) = m.get("items") {
                for i in items.clone() {
                    flatten_lists(i, out);
                }
            }
        }
        other => out.push(other),
    }
}

/// Reads every object of a manifest file. `source` is the file name used in messages.
pub fn parse_manifest(text: &str, source: &str) -> Result<Vec<ManifestObject>, ManifestError> {
    let mut out = Vec::new();
    for doc in documents(text, source)? {
        out.push(parse_object(doc, source)?);
    }
    Ok(out)
}

fn str_field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// Types one document.
pub fn parse_object(doc: Value, source: &str) -> Result<ManifestObject, ManifestError> {
    if !doc.is_object() {
        return Err(err(format!(
            "error: error validating \"{source}\": error validating data: invalid object: expected a mapping, got {}",
            json_type(&doc)
        )));
    }
    let api_version = str_field(&doc, &["apiVersion"]).unwrap_or("");
    let kind_name = str_field(&doc, &["kind"]).unwrap_or("");
    let missing: Vec<&str> = [("apiVersion", api_version), ("kind", kind_name)]
        .into_iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| n)
        .collect();
    match missing.as_slice() {
        [] => {}
        [one] => {
            return Err(err(format!(
                "error: error validating \"{source}\": error validating data: {one} not set; if you choose to ignore these errors, turn validation off with --validate=false"
            )))
        }
        _ => {
            return Err(err(format!(
                "error: error validating \"{source}\": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false"
            )))
        }
    }
    let name = str_field(&doc, &["metadata", "name"]).unwrap_or("");
    let namespace = str_field(&doc, &["metadata", "namespace"]).unwrap_or("");
    let kind = match kind_of(kind_name) {
        Some(k) if k.api_version() == api_version => k,
        other => {
            let note = if other.is_some() {
                format!(
                    "\nnote: Kubeplay simulates {kind_name} only in version \"{}\"",
                    other.map(|k| k.api_version()).unwrap_or_default()
                )
            } else if KNOWN_UNSIMULATED.contains(&kind_name) {
                format!("\nnote: {kind_name} is not simulated in Kubeplay")
            } else {
                format!("\nnote: {kind_name} is not a kind Kubeplay knows")
            };
            return Err(err(format!(
                "error: resource mapping not found for name: \"{name}\" namespace: \"{namespace}\" from \"{source}\": no matches for kind \"{kind_name}\" in version \"{api_version}\"\nensure CRDs are installed first{note}"
            )));
        }
    };
    let typed = |e: serde_json::Error| {
        err(format!(
            "error: error decoding \"{source}\": {} \"{name}\" in version \"{api_version}\" cannot be handled as a {}: {}",
            kind.name(),
            kind.name(),
            json_error_text(&e)
        ))
    };
    let mut not_simulated = Vec::new();
    macro_rules! read {
        ($ty:ident, $walk:expr) => {{
            let v: $ty = serde_json::from_value(doc.clone()).map_err(typed)?;
            #[allow(clippy::redundant_closure_call)]
            ($walk)(&v, &mut not_simulated);
            Object::$ty(Rc::new(v))
        }};
    }
    let object = match kind {
        Kind::Pod => read!(Pod, |p: &Pod, ns: &mut Vec<String>| {
            meta_extra(&p.metadata, "metadata", ns);
            pod_spec_extra(&p.spec, "spec", ns);
        }),
        Kind::Deployment => read!(Deployment, |d: &Deployment, ns: &mut Vec<String>| {
            meta_extra(&d.metadata, "metadata", ns);
            template_extra(&d.spec.template, "spec.template", ns);
        }),
        Kind::ReplicaSet => read!(ReplicaSet, |d: &ReplicaSet, ns: &mut Vec<String>| {
            meta_extra(&d.metadata, "metadata", ns);
            template_extra(&d.spec.template, "spec.template", ns);
        }),
        Kind::ReplicationController => read!(
            ReplicationController,
            |d: &ReplicationController, ns: &mut Vec<String>| {
                meta_extra(&d.metadata, "metadata", ns);
                if let Some(t) = &d.spec.template {
                    template_extra(t, "spec.template", ns);
                }
            }
        ),
        Kind::Service => read!(Service, |s: &Service, ns: &mut Vec<String>| {
            meta_extra(&s.metadata, "metadata", ns);
            extra_keys(&s.spec.extra, "spec", ns);
        }),
        Kind::Namespace => read!(Namespace, |n: &Namespace, ns: &mut Vec<String>| {
            meta_extra(&n.metadata, "metadata", ns);
        }),
        Kind::Node => read!(Node, |n: &Node, ns: &mut Vec<String>| {
            meta_extra(&n.metadata, "metadata", ns);
        }),
        Kind::Endpoints => read!(Endpoints, |n: &Endpoints, ns: &mut Vec<String>| {
            meta_extra(&n.metadata, "metadata", ns);
        }),
        Kind::EndpointSlice => read!(EndpointSlice, |n: &EndpointSlice, ns: &mut Vec<String>| {
            meta_extra(&n.metadata, "metadata", ns);
        }),
        Kind::Event => read!(Event, |n: &Event, ns: &mut Vec<String>| {
            meta_extra(&n.metadata, "metadata", ns);
        }),
        Kind::Lease => read!(Lease, |n: &Lease, ns: &mut Vec<String>| {
            meta_extra(&n.metadata, "metadata", ns);
        }),
    };
    Ok(ManifestObject {
        object,
        raw: doc,
        not_simulated,
    })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Empty values (`resources: {}`, `[]`, `null`) have no effect anywhere; kubectl's own
/// dry-run output is full of them, so they are not worth a notice.
fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn extra_keys(extra: &Extra, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in extra {
        if !is_empty_value(v) {
            out.push(format!("{prefix}.{k}"));
        }
    }
}

fn meta_extra(m: &ObjectMeta, prefix: &str, out: &mut Vec<String>) {
    extra_keys(&m.extra, prefix, out);
}

fn template_extra(t: &PodTemplateSpec, prefix: &str, out: &mut Vec<String>) {
    meta_extra(&t.metadata, &format!("{prefix}.metadata"), out);
    pod_spec_extra(&t.spec, &format!("{prefix}.spec"), out);
}

fn pod_spec_extra(s: &PodSpec, prefix: &str, out: &mut Vec<String>) {
    extra_keys(&s.extra, prefix, out);
    for (i, c) in s.containers.iter().enumerate() {
        container_extra(c, &format!("{prefix}.containers[{i}]"), out);
    }
}

fn container_extra(c: &Container, prefix: &str, out: &mut Vec<String>) {
    extra_keys(&c.extra, prefix, out);
    for (i, p) in c.ports.iter().enumerate() {
        extra_keys(&p.extra, &format!("{prefix}.ports[{i}]"), out);
    }
}

/// The one-line notice listing the fields of `obj` that are kept but not simulated.
pub fn not_simulated_notice(obj: &ManifestObject) -> Option<String> {
    if obj.not_simulated.is_empty() {
        return None;
    }
    let m = obj.object.meta();
    Some(format!(
        "note: {}/{}: kept but not simulated by Kubeplay: {}",
        obj.object.kind().kind_group(),
        m.name,
        obj.not_simulated.join(", ")
    ))
}

// ------------------------------------------------------------------ output

/// Rebuilds a JSON value with object keys in sorted order, as kubectl prints the unstructured
/// objects it gets from the server (independent of serde_json's `preserve_order` feature).
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            crate::sort::sort(&mut keys);
            let mut out = serde_json::Map::new();
            for k in keys {
                if let Some(x) = m.get(k) {
                    out.insert(k.clone(), sorted(x));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// `-o json`: pretty-printed with 4-space indentation, as kubectl does, ending in a newline.
pub fn to_json(v: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    if sorted(v).serialize(&mut ser).is_err() {
        return "{}\n".to_string();
    }
    let mut s = String::from_utf8(buf).unwrap_or_default();
    s.push('\n');
    s
}

/// `-o yaml`: block-style YAML with sorted keys, ending in a newline.
pub fn to_yaml(v: &Value) -> String {
    let yaml = serde_yaml_ng::to_string(&sorted(v)).unwrap_or_default();
    yaml.lines()
        .map(kubectl_quoting)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Quotes scalars the way kubectl's YAML printer (go-yaml) does where serde's emitter differs:
/// strings that look like timestamps are double-quoted (a YAML reader would otherwise take them
/// for timestamps), and quoted strings use double quotes (`resourceVersion: "48"`).
fn kubectl_quoting(line: &str) -> String {
    let (head, value) = match line.find(": ") {
        Some(i) => line.split_at(i + 2),
        None => match line.trim_start().strip_prefix("- ") {
            Some(rest) => line.split_at(line.len() - rest.len()),
            None => return line.to_string(),
        },
    };
    if crate::time::Time::parse_rfc3339(value).is_some() {
        return format!("{head}\"{value}\"");
    }
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        if !inner.contains(['\'', '"', '\\']) {
            return format!("{head}\"{inner}\"");
        }
    }
    line.to_string()
}

/// kubectl's wrapper around several objects: `{"apiVersion":"v1","kind":"List",…}`.
pub fn list(items: Vec<Value>) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    })
}

/// Checks every object of a manifest as the API server would on `kubectl apply` to an empty
/// cluster: defaults, allocation and validation. Returns the lines kubectl would print
/// (`The Service "web" is invalid: …`), one per failing object.
pub fn validate_manifest(text: &str, source: &str) -> Result<(), Vec<String>> {
    let objects = parse_manifest(text, source).map_err(|e| vec![e.message])?;
    let mut api = crate::apiserver::ApiServer::new(0);
    let mut errors = Vec::new();
    for o in &objects {
        let ns = &o.object.meta().namespace;
        if o.object.kind().namespaced() && !ns.is_empty() && api.get::<Namespace>("", ns).is_none()
        {
            let mut n = Namespace::default();
            n.metadata.name = ns.clone();
            let _ = api.create(n);
        }
        match crate::kubectl::objects::create(&mut api, &o.object) {
            Ok(_) => {}
            Err(e) if e.reason == crate::apiserver::StatusReason::AlreadyExists => {}
            Err(e) => errors.push(e.kubectl_message()),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `kubectl create deployment web --image=nginx --replicas=3 --port=80 --dry-run=client -o yaml`
    // (kubectl v1.32; v1.37 prints the same without the `creationTimestamp: null` lines).
    const DEPLOYMENT_DRY_RUN: &str =
        include_str!("../tests/fixtures/kubectl/deployment-dry-run.yaml");
    // `kubectl create service nodeport web --tcp=80:8080 --node-port=30080 --dry-run=client -o yaml`
    const SERVICE_DRY_RUN: &str =
        include_str!("../tests/fixtures/kubectl/service-nodeport-dry-run.yaml");
    // `kubectl create service clusterip web --tcp=80:8080 --dry-run=client -o json`
    const SERVICE_DRY_RUN_JSON: &str =
        include_str!("../tests/fixtures/kubectl/service-clusterip-dry-run.json");
    // The kubernetes.io "Creating a Deployment" / "Service" examples, with unsimulated fields.
    const WEBSITE_EXAMPLES: &str = include_str!("../tests/fixtures/kubectl/website-examples.yaml");
    // `kubectl get deploy,svc -o yaml` style output: a v1 List.
    const LIST: &str = include_str!("../tests/fixtures/kubectl/list.yaml");

    fn names(objs: &[ManifestObject]) -> Vec<String> {
        objs.iter()
            .map(|o| format!("{}/{}", o.object.kind().kind_group(), o.object.meta().name))
            .collect()
    }

    #[test]
    fn kubectl_dry_run_output_reads_back() {
        let objs = parse_manifest(DEPLOYMENT_DRY_RUN, "d.yaml").unwrap();
        assert_eq!(names(&objs), ["deployment.apps/web"]);
        let Object::Deployment(d) = &objs[0].object else {
            panic!()
        };
        assert_eq!(d.spec.replicas, Some(3));
        assert_eq!(
            d.spec.template.spec.containers[0].ports[0].container_port,
            80
        );
        assert!(
            objs[0].not_simulated.is_empty(),
            "resources: {{}} is not worth a notice"
        );

        let objs = parse_manifest(SERVICE_DRY_RUN, "s.yaml").unwrap();
        let Object::Service(s) = &objs[0].object else {
            panic!()
        };
        assert_eq!(s.spec.type_.as_deref(), Some("NodePort"));
        assert_eq!(s.spec.ports[0].node_port, Some(30080));
        assert_eq!(s.spec.ports[0].target_port, Some(IntOrString::Int(8080)));
        assert_eq!(s.spec.ports[0].name.as_deref(), Some("80-8080"));

        let objs = parse_manifest(SERVICE_DRY_RUN_JSON, "s.json").unwrap();
        assert_eq!(names(&objs), ["service/web"]);
    }

    #[test]
    fn multi_document_files_keep_unsimulated_fields_and_list_them() {
        let objs = parse_manifest(WEBSITE_EXAMPLES, "app.yaml").unwrap();
        assert_eq!(
            names(&objs),
            [
                "deployment.apps/nginx-deployment",
                "service/my-service",
                "pod/nginx"
            ]
        );
        assert_eq!(
            objs[0].not_simulated,
            [
                "spec.template.spec.volumes",
                "spec.template.spec.containers[0].env",
                "spec.template.spec.containers[0].resources",
                "spec.template.spec.containers[0].volumeMounts",
            ]
        );
        let Object::Deployment(d) = &objs[0].object else {
            panic!()
        };
        assert!(d.spec.template.spec.extra.contains_key("volumes"), "kept");
        assert_eq!(
            not_simulated_notice(&objs[0]).unwrap(),
            "note: deployment.apps/nginx-deployment: kept but not simulated by Kubeplay: spec.template.spec.volumes, spec.template.spec.containers[0].env, spec.template.spec.containers[0].resources, spec.template.spec.containers[0].volumeMounts"
        );
        let Object::Service(s) = &objs[1].object else {
            panic!()
        };
        assert_eq!(s.spec.ports[0].target_port, Some(IntOrString::Int(9376)));
        assert!(objs[2].not_simulated.is_empty());
    }

    #[test]
    fn lists_are_flattened() {
        let objs = parse_manifest(LIST, "list.yaml").unwrap();
        assert_eq!(names(&objs), ["deployment.apps/web", "service/web"]);
    }

    #[test]
    fn unsupported_kinds_are_refused_with_kubectls_mapping_error() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec: {}\n";
        let e = parse_manifest(text, "ing.yaml").unwrap_err();
        assert_eq!(
            e.message,
            "error: resource mapping not found for name: \"web\" namespace: \"\" from \"ing.yaml\": no matches for kind \"Ingress\" in version \"networking.k8s.io/v1\"\nensure CRDs are installed first\nnote: Ingress is not simulated in Kubeplay"
        );
        let e = parse_manifest(
            "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata:\n  name: old\n",
            "old.yaml",
        )
        .unwrap_err();
        assert!(e
            .message
            .contains("no matches for kind \"Deployment\" in version \"extensions/v1beta1\""));
    }

    #[test]
    fn bad_documents_report_where() {
        let cases: &[(&str, &str)] = &[
            (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: [\n",
                "error: error parsing f.yaml: error converting YAML to JSON: yaml: line 6, column 1: ",
            ),
            (
                "kind: Pod\nmetadata:\n  name: a\n",
                "error: error validating \"f.yaml\": error validating data: apiVersion not set; if you choose to ignore these errors, turn validation off with --validate=false",
            ),
            (
                "metadata:\n  name: a\n",
                "error: error validating \"f.yaml\": error validating data: [apiVersion not set, kind not set]",
            ),
            (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  replicas: three\n",
                "error: error decoding \"f.yaml\": Deployment \"a\" in version \"apps/v1\" cannot be handled as a Deployment: invalid type: string \"three\", expected i32",
            ),
            ("{\"kind\": ", "error: error parsing f.yaml: json: line 1, column 9: EOF while parsing a value"),
        ];
        for (text, want) in cases {
            let e = parse_manifest(text, "f.yaml").unwrap_err();
            assert!(e.message.starts_with(want), "{text:?}\n got: {}", e.message);
        }
    }

    #[test]
    fn empty_documents_are_skipped() {
        let objs = parse_manifest(
            "---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n",
            "f",
        )
        .unwrap();
        assert_eq!(names(&objs), ["namespace/x"]);
    }

    #[test]
    fn json_output_uses_four_spaces_and_sorted_keys() {
        let v = serde_json::json!({"kind": "Service", "apiVersion": "v1", "metadata": {"name": "a", "labels": {"b": "1", "a": "2"}}, "spec": {"ports": [{"port": 80}]}});
        assert_eq!(
            to_json(&v),
            "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Service\",\n    \"metadata\": {\n        \"labels\": {\n            \"a\": \"2\",\n            \"b\": \"1\"\n        },\n        \"name\": \"a\"\n    },\n    \"spec\": {\n        \"ports\": [\n            {\n                \"port\": 80\n            }\n        ]\n    }\n}\n"
        );
    }

    #[test]
    fn yaml_output_reads_back_to_the_same_object() {
        for text in [DEPLOYMENT_DRY_RUN, SERVICE_DRY_RUN, WEBSITE_EXAMPLES] {
            for o in parse_manifest(text, "f").unwrap() {
                let y = to_yaml(&o.object.to_json());
                let back = parse_manifest(&y, "f").unwrap();
                assert_eq!(back[0].object.to_json(), o.object.to_json(), "{y}");
            }
        }
        let y = to_yaml(
            &serde_json::json!({"spec": {"containers": [{"name": "a", "image": "nginx"}]}, "n": "80"}),
        );
        assert_eq!(
            y,
            "n: \"80\"\nspec:\n  containers:\n  - image: nginx\n    name: a\n"
        );
    }

    proptest::proptest! {
        #[test]
        fn no_input_panics(text in "\\PC{0,200}") {
            let _ = parse_manifest(&text, "f");
        }

        #[test]
        fn no_mutated_manifest_panics(cut in 0usize..400, junk in "[ :\\-\\[\\]{}\"'a-z0-9\n]{0,6}") {
            let mut t = WEBSITE_EXAMPLES.to_string();
            let at = (cut % t.len().max(1)).min(t.len());
            if t.is_char_boundary(at) {
                t.insert_str(at, &junk);
            }
            let _ = parse_manifest(&t, "f");
        }
    }
}
