//! The lesson file format: what loads, and the error (with line and column where the YAML
//! is at fault) for what does not. The loader never panics (proptest over random and
//! mutated files).

use kubeplay_core::kubectl::{MemoryFiles, NoFiles};
use kubeplay_core::lesson::{self, builtin, CheckKind, Lesson, LessonSession, ManifestRef};
use proptest::prelude::*;

const MINIMAL: &str = r#"
name: tiny
title: Tiny
steps:
- title: Look
  commands: [kubectl get pods]
"#;

#[test]
fn a_minimal_lesson_gets_the_documented_defaults() {
    let l = Lesson::load(MINIMAL, "tiny.yaml", &NoFiles).unwrap();
    assert_eq!(l.cluster.nodes, 3);
    assert_eq!(l.cluster.seed, 1);
    assert_eq!(l.cluster.warmup_ms(), 30_000);
    assert_eq!(l.cluster.proxy_mode, lesson::ProxyModeName::Iptables);
    assert!(l.steps[0].checks.is_empty() && l.steps[0].actions.is_empty());
}

/// (lesson text, expected "line:column" or "" when no position, expected message part).
const BAD: &[(&str, &str, &str)] = &[
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    podz: {selector: app=web, count: 1}\n",
        "6:5",
        "steps[0].checks[0]: unknown check type `podz`; expected one of: readyEndpoints,",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    pods: {selector: app=web, cuont: 1}\n",
        "7:31",
        "steps[0].checks[0].pods: unknown field `cuont`",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - pods: {selector: app=web, count: 1}\n",
        "6:5",
        "missing field `description`",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n",
        "6:5",
        "check \"d\" has no check type",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    pods: {selector: a=b, count: 1}\n    readyEndpoints: {service: web, count: 1}\n",
        "6:5",
        "a check has one type, found both `pods` and `readyEndpoints`",
    ),
    (
        "name: x\ntitle: X\nstep:\n- title: a\n",
        "3:1",
        "unknown field `step`",
    ),
    ("name: x\ntitle: X\nsteps: 3\n", "3:8", "invalid type: integer `3`"),
    ("name: x\ntitle: [1, 2]\n", "2:8", "title: invalid type: sequence"),
    (
        "name: x\ntitle: 'unclosed\n",
        "3:1",
        "found unexpected end of stream, while scanning a quoted scalar at line 2 column 8",
    ),
    (
        "name: x\ntitle: X\ncluster: {proxyMode: ebpf}\nsteps: [{title: a}]\n",
        "3:22",
        "cluster.proxyMode: unknown variant `ebpf`",
    ),
    (
        "name: Not_A_Slug\ntitle: X\nsteps: [{title: a}]\n",
        "",
        "name: \"Not_A_Slug\" must be a slug",
    ),
    ("name: x\ntitle: X\nsteps: []\n", "", "at least one step"),
    (
        "name: x\ntitle: X\ncluster: {nodes: 0}\nsteps: [{title: a}]\n",
        "",
        "cluster.nodes: 0 is out of range",
    ),
    (
        "name: x\ntitle: X\ncluster: {warmup: soon}\nsteps: [{title: a}]\n",
        "",
        "cluster.warmup: invalid duration",
    ),
    (
        "name: x\ntitle: X\nsteps: [{title: a, commands: [kubectl frobnicate pods]}]\n",
        "",
        "steps[0].commands[0]:",
    ),
    (
        "name: x\ntitle: X\nsteps: [{title: a, commands: [wait 2h]}]\n",
        "",
        "steps[0].commands[0]: a wait longer than 1h",
    ),
    (
        "name: x\ntitle: X\nsteps: [{title: a, commands: ['kubectl delete pod {{pods app=web}}']}]\n",
        "",
        "unknown placeholder {{pods}}",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    pods: {selector: 'app in (', count: 1}\n",
        "",
        "steps[0].checks[0]: pods: selector",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    pods: {selector: app=web}\n",
        "",
        "pods: needs count, atLeast or atMost",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    readyEndpoints: {service: web, count: 1, atLeast: 1}\n",
        "",
        "count excludes atLeast and atMost",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  commands: [kubectl get pods]\n  checks:\n  - description: d\n    output: {command: kubectl get svc, contains: web}\n",
        "",
        "is not one of the step's commands",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  commands: [kubectl get pods]\n  checks:\n  - description: d\n    output: {command: kubectl get pods}\n",
        "",
        "needs contains, notContains, matches or exitCode",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    object: {kind: widget, name: w}\n",
        "",
        "unknown resource type \"widget\"",
    ),
    (
        "name: x\ntitle: X\nsteps:\n- title: a\n  checks:\n  - description: d\n    serviceType: {service: web, type: Headless}\n",
        "",
        "type \"Headless\" is not ClusterIP",
    ),
    (
        "name: x\ntitle: X\ncluster:\n  manifests:\n  - inline: 'kind: Widget'\nsteps: [{title: a}]\n",
        "",
        "cluster.manifests[0]:",
    ),
    (
        "name: x\ntitle: X\ncluster:\n  manifests:\n  - file: missing.yaml\nsteps: [{title: a}]\n",
        "",
        "file \"missing.yaml\" is neither in the lesson's files: nor readable",
    ),
    (
        "name: x\ntitle: X\ncluster:\n  manifests:\n  - {inline: a, file: b}\nsteps: [{title: a}]\n",
        "5:3",
        "either `inline: YAML` or `file: NAME`",
    ),
];

#[test]
fn bad_lessons_are_rejected_with_a_clear_error() {
    for (text, pos, msg) in BAD {
        let e = Lesson::load(text, "bad.yaml", &NoFiles).expect_err(text);
        let shown = e.to_string();
        assert!(shown.contains(msg), "{text}\n→ {shown}\nwanted {msg:?}");
        if pos.is_empty() {
            assert!(shown.starts_with("bad.yaml: "), "{shown}");
        } else {
            assert!(
                shown.starts_with(&format!("bad.yaml:{pos}: ")),
                "{text}\n→ {shown}"
            );
            let (l, c) = pos.split_once(':').unwrap();
            let repeated = format!(" at line {l} column {c}");
            assert!(
                !shown.contains(&repeated),
                "position only in front: {shown}"
            );
        }
    }
}

#[test]
fn file_manifests_come_from_the_lessons_files_or_the_file_source() {
    let text = "name: x\ntitle: X\nfiles:\n  a.yaml: |\n    apiVersion: v1\n    kind: Namespace\n    metadata: {name: a}\ncluster:\n  manifests:\n  - file: a.yaml\n  - file: b.yaml\nsteps: [{title: s}]\n";
    let disk = MemoryFiles::default().with(
        "b.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
    );
    let l = Lesson::load(text, "x.yaml", &disk).unwrap();
    assert!(l
        .cluster
        .manifests
        .iter()
        .all(|m| matches!(m, ManifestRef::Inline(_))));
    assert!(l.manifest_texts()[1].contains("name: b"));
}

#[test]
fn every_builtin_lesson_loads_and_has_checks_on_every_step() {
    let names = builtin::names();
    assert!(!names.is_empty());
    for name in names {
        let l = builtin::load(name)
            .expect("listed")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(l.name, name, "file name and lesson name agree");
        for (i, s) in l.steps.iter().enumerate() {
            assert!(!s.checks.is_empty(), "{name} step {} has no check", i + 1);
            assert!(
                !s.commands.is_empty(),
                "{name} step {} has no command",
                i + 1
            );
        }
    }
}

#[test]
fn a_session_checks_the_current_step_as_the_learner_acts() {
    let l = Lesson::load(
        r#"
name: by-hand
title: By hand
cluster: {warmup: 0s}
steps:
- title: Make a deployment of two
  commands: ["kubectl create deployment web --image=nginx --replicas=2", "wait 10s"]
  checks:
  - description: two running pods
    pods: {selector: app=web, phase: Running, count: 2}
  - description: create said so
    output: {command: "kubectl create deployment web --image=nginx --replicas=2", contains: created}
- title: Kill one
  commands: ["kubectl delete pod {{pod app=web}}", "wait 10s"]
  checks:
  - description: a new address
    podIpChanged: {selector: app=web}
"#,
        "by-hand.yaml",
        &NoFiles,
    )
    .unwrap();
    let mut s = LessonSession::start(l);
    let r = s.check_step();
    assert_eq!(r.len(), 2);
    assert!(!r[0].passed && !r[1].passed, "{r:?}");
    assert!(r[1].detail.contains("has not been run"), "{}", r[1].detail);
    // The learner types the command (extra spaces, no `kubectl`): it counts.
    let out = s.exec("create  deployment web --image=nginx --replicas=2");
    assert!(out.ok);
    assert!(!s.step_passed(), "pods not running yet");
    s.advance(10_000);
    assert!(s.step_passed(), "{:?}", s.check_step());
    assert!(s.next_step());
    // Placeholders are filled from the cluster for the UI.
    let suggested = s.suggested();
    let first = suggested[0].as_ref().unwrap();
    assert!(first.starts_with("kubectl delete pod web-"), "{first}");
    assert!(!s.step_passed(), "no pod replaced yet");
    s.run_suggested(0).unwrap();
    s.run_suggested(1).unwrap();
    assert!(s.step_passed(), "{:?}", s.check_step());
    assert!(!s.next_step());
    assert!(s.finished());
    assert!(s.check_step().is_empty());
}

#[test]
fn check_kinds_are_named_as_in_yaml() {
    let l = builtin::load("service-types").unwrap().unwrap();
    let names: Vec<&str> = l.steps[2]
        .checks
        .iter()
        .map(|c| c.kind.type_name())
        .collect();
    assert_eq!(names, ["output", "nodePort"]);
    assert!(matches!(l.steps[2].checks[1].kind, CheckKind::NodePort(_)));
}

/// Valid lessons to mutate: the built-ins.
fn corpus() -> Vec<&'static str> {
    builtin::names()
        .into_iter()
        .filter_map(builtin::source)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics_the_loader(text in ".{0,400}") {
        let _ = Lesson::load(&text, "random.yaml", &NoFiles);
    }

    #[test]
    fn mutated_lessons_never_panic_the_loader(
        which in 0usize..64,
        at in 0usize..100_000,
        len in 0usize..40,
        insert in "[ -~\n]{0,12}",
    ) {
        let c = corpus();
        let src = c[which % c.len()];
        let mut bytes = src.as_bytes().to_vec();
        let at = at % (bytes.len() + 1);
        let end = (at + len).min(bytes.len());
        bytes.splice(at..end, insert.bytes());
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = Lesson::load(&text, "mutated.yaml", &NoFiles) {
            prop_assert!(!e.message.is_empty());
        }
    }
}

#[test]
fn the_documented_example_loads_and_passes() {
    let doc = include_str!("../../docs/lessons.md");
    let start = doc
        .find("```yaml\n")
        .expect("docs/lessons.md has a yaml example")
        + 8;
    let len = doc[start..].find("```").unwrap();
    let l = Lesson::load(&doc[start..start + len], "docs/lessons.md", &NoFiles)
        .unwrap_or_else(|e| panic!("{e}"));
    let report = lesson::run(&l);
    assert!(report.passed(), "{}", report.render());
}

#[test]
fn expected_output_may_hold_placeholders_filled_at_check_time() {
    let l = Lesson::load(
        r#"
name: ips
title: IPs
cluster:
  manifests:
  - inline: |
      apiVersion: v1
      kind: Pod
      metadata: {name: web-1, labels: {app: web}}
      spec:
        containers: [{name: web, image: nginx}]
steps:
- title: Look
  commands: [kubectl get pods -o wide]
  checks:
  - description: the table shows the pod's IP
    output: {command: kubectl get pods -o wide, matches: ["{{pod app=web}}", "{{podIP app=web}}", "{{podNode app=web}}"]}
  - description: and not another pod's
    output: {command: kubectl get pods -o wide, notContains: "{{podIP app=web 2}}"}
"#,
        "ips.yaml",
        &NoFiles,
    )
    .unwrap();
    let report = lesson::run(&l);
    let checks = &report.steps[0].checks;
    assert!(checks[0].passed, "{}", checks[0].detail);
    // There is no second pod: the placeholder cannot be filled, so the check fails and says why.
    assert!(!checks[1].passed);
    assert!(
        checks[1]
            .detail
            .contains("no pod number 2 matches \"app=web\" (there are 1)"),
        "{}",
        checks[1].detail
    );
}
