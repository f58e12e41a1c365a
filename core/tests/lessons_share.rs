//! Shareable state: encode → decode gives the same scenario, replay gives the same cluster
//! (equal trace hash), and the decoder turns anything else into an error, never a panic.

use data_encoding::BASE64URL_NOPAD;
use kubeplay_core::lesson::{builtin, LessonSession, ProxyModeName};
use kubeplay_core::share::{decode, encode, replay, Recorder, Scenario, TimedCommand};
use proptest::prelude::*;
use std::collections::BTreeMap;

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27}]\n";

fn recorded() -> Recorder {
    let files = BTreeMap::from([(
        "svc.yaml".to_string(),
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{port: 80}]\n".to_string(),
    )]);
    let mut r = Recorder::new(Scenario::new(
        7,
        3,
        ProxyModeName::Ipvs,
        vec![WEB.to_string()],
        files,
    ));
    r.advance(20_000);
    assert!(r.exec("kubectl apply -f svc.yaml").ok);
    r.advance(1_500);
    assert!(r.exec("kubectl scale deployment web --replicas=4").ok);
    assert!(r.exec("wait 12s").ok);
    let victim = r
        .sim
        .api
        .pods
        .iter()
        .find(|p| p.metadata.labels.get("app").is_some_and(|a| a == "web"))
        .unwrap()
        .metadata
        .name
        .clone();
    assert!(r.exec(&format!("kubectl delete pod {victim}")).ok);
    assert!(!r.exec("kubectl frobnicate").ok, "typos are not recorded");
    assert!(r.exec("node fail node-2").ok);
    r.advance(45_000);
    assert!(r.exec("kubectl set image deployment/web web=nginx:1.28").ok);
    r.advance(3_333);
    r
}

#[test]
fn a_shared_scenario_decodes_to_itself_and_replays_to_the_same_trace() {
    let r = recorded();
    let s = r.scenario().clone();
    assert_eq!(s.commands.len(), 6, "the typo is not part of the scenario");
    assert_eq!(s.now, r.sim.now());
    let text = encode(&s);
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "URL-fragment safe"
    );
    let back = decode(&text).unwrap();
    assert_eq!(back, s);
    let sim = replay(&back);
    assert_eq!(sim.now(), r.sim.now());
    assert_eq!(sim.trace_hash(), r.sim.trace_hash());
    assert_eq!(sim.api.trace_len(), r.sim.api.trace_len());
    // A leading '#' (the whole fragment) is accepted.
    assert_eq!(decode(&format!("#{text}")).unwrap(), s);
}

#[test]
fn a_lesson_session_can_be_shared_midway() {
    let lesson = builtin::load("pods-come-and-go").unwrap().unwrap();
    let mut session = LessonSession::start(lesson);
    for _ in 0..2 {
        let n = session.current().unwrap().commands.len();
        for i in 0..n {
            session.run_suggested(i);
        }
        session.next_step();
    }
    let text = encode(session.scenario());
    let sim = replay(&decode(&text).unwrap());
    assert_eq!(sim.trace_hash(), session.sim.trace_hash());
    eprintln!("pods-come-and-go after 2 steps: {} characters", text.len());
    assert!(text.len() < 2000, "{} characters", text.len());
}

fn scenario() -> Scenario {
    let mut s = Scenario::new(
        1,
        2,
        ProxyModeName::Iptables,
        vec![WEB.into()],
        BTreeMap::new(),
    );
    s.commands = vec![
        TimedCommand {
            at: 1000,
            line: "kubectl get pods".into(),
        },
        TimedCommand {
            at: 2000,
            line: "wait 5s".into(),
        },
    ];
    s.now = 10_000;
    s
}

fn pack_json(json: &str) -> String {
    BASE64URL_NOPAD.encode(&miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 6))
}

#[test]
fn bad_shared_state_is_rejected_with_a_clear_error() {
    let ok = serde_json::to_value(scenario()).unwrap();
    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = ok.clone();
        f(&mut v);
        pack_json(&v.to_string())
    };
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "empty"),
        ("not base64!".into(), "not base64url"),
        (
            BASE64URL_NOPAD.encode(b"plain text, not deflate"),
            "not deflate data",
        ),
        (pack_json("{\"version\":1"), "not a scenario"),
        (pack_json("[1,2,3]"), "not a scenario"),
        (
            with(&|v| v["version"] = 2.into()),
            "version 2 is not supported",
        ),
        (with(&|v| v["nodes"] = 0.into()), "nodes 0 out of range"),
        (
            with(&|v| v["nodes"] = 1000.into()),
            "nodes 1000 out of range",
        ),
        (
            with(&|v| v["proxyMode"] = "ebpf".into()),
            "unknown variant `ebpf`",
        ),
        (with(&|v| v["extra"] = 1.into()), "unknown field `extra`"),
        (
            with(&|v| v["manifests"][0] = "kind: Widget".into()),
            "manifest 1:",
        ),
        (
            with(&|v| v["commands"][0]["line"] = "kubectl frobnicate".into()),
            "command 1 (\"kubectl frobnicate\"): error: unknown command",
        ),
        (
            with(&|v| v["commands"][1]["at"] = 500.into()),
            "command 2 runs at 500 ms, out of order",
        ),
        (
            with(&|v| v["commands"][1]["at"] = 20_000.into()),
            "out of order",
        ),
        (
            with(&|v| v["commands"][1]["line"] = "wait 1000h".into()),
            "command 2 waits past the scenario's end",
        ),
        (
            with(&|v| v["now"] = (8u64 * 24 * 3600 * 1000).into()),
            "beyond one week",
        ),
        (
            with(&|v| v["commands"][0]["line"] = "x".repeat(5000).into()),
            "command 1 is too long",
        ),
        ("A".repeat(300_000), "longer than"),
    ];
    for (text, want) in cases {
        let e = decode(&text).expect_err(want).to_string();
        assert!(e.starts_with("invalid shared state: "), "{e}");
        assert!(e.contains(want), "{e}\nwanted {want:?}");
    }
    // A deflate bomb: 3 MB of spaces inflates past the limit.
    let bomb = BASE64URL_NOPAD.encode(&miniz_oxide::deflate::compress_to_vec(
        &vec![b' '; 3 << 20],
        9,
    ));
    assert!(bomb.len() < 10_000);
    assert!(decode(&bomb).unwrap_err().to_string().contains("too large"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic_the_decoder(text in "[A-Za-z0-9_#-]{0,300}") {
        let _ = decode(&text);
    }

    #[test]
    fn random_deflated_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&BASE64URL_NOPAD.encode(&miniz_oxide::deflate::compress_to_vec(&bytes, 6)));
        let _ = decode(&BASE64URL_NOPAD.encode(&bytes));
    }

    #[test]
    fn mutated_valid_strings_never_panic_the_decoder(at in 0usize..10_000, c in "[A-Za-z0-9_-]", cut in any::<bool>()) {
        let text = encode(&scenario());
        let at = at % text.len();
        let mut m = text.clone();
        if cut {
            m.truncate(at);
        } else {
            m.replace_range(at..at + 1, &c);
        }
        if let Ok(s) = decode(&m) {
            // Whatever still decodes is a valid scenario.
            prop_assert!(s.validate().is_ok());
        }
    }
}

#[test]
fn a_replayed_scenario_records_on_and_shares_again() {
    let r = recorded();
    let mut again = Recorder::replayed(decode(&encode(r.scenario())).unwrap());
    assert!(again.exec("kubectl scale deployment web --replicas=1").ok);
    again.advance(5_000);
    assert_eq!(again.scenario().commands.len(), 7);
    let sim = replay(&decode(&encode(again.scenario())).unwrap());
    assert_eq!(sim.trace_hash(), again.sim.trace_hash());
    assert_ne!(sim.trace_hash(), r.sim.trace_hash());
}

#[test]
fn every_builtin_lesson_played_through_replays_to_the_same_trace() {
    for name in builtin::names() {
        let mut s = LessonSession::start(builtin::load(name).unwrap().unwrap());
        while let Some(step) = s.current() {
            for i in 0..step.commands.len() {
                s.run_suggested(i);
            }
            s.next_step();
        }
        let text = encode(s.scenario());
        let sim = replay(&decode(&text).unwrap());
        assert_eq!(sim.trace_hash(), s.sim.trace_hash(), "{name}");
        assert_eq!(
            sim.infra.dataplane.stats.total, s.sim.infra.dataplane.stats.total,
            "{name}: the same requests with the same outcomes"
        );
        eprintln!("{name}: {} characters", text.len());
        assert!(text.len() < 8_000, "{name}: {} characters", text.len());
    }
}
