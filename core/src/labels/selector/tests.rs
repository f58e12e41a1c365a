//! Vectors from spec §9 (upstream `selector_test.go`) plus derived error messages.

use super::*;
use proptest::prelude::*;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A label set written as pairs.
type Pairs<'a> = Vec<(&'a str, &'a str)>;

fn req(key: &str, op: Operator, values: &[&str]) -> Requirement {
    match Requirement::new(key, op, values.iter().map(|v| v.to_string()).collect()) {
        Ok(r) => r,
        Err(e) => panic!("test requirement {key} {op:?} {values:?} is invalid: {e}"),
    }
}

/// TestSelectorParse: valid inputs re-stringify to the input without spaces.
#[test]
fn parse_and_string_round_trip() {
    let valid = [
        "x=a,y=b,z=c",
        "",
        "x!=a,y=b",
        "x=",
        "x= ",
        "x=,z= ",
        "!x",
        "x>1",
        "x>1,z<5",
    ];
    for input in valid {
        let sel = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(sel.to_string(), input.replace(' ', ""), "{input:?}");
    }
    assert!(Selector::parse("").is_ok_and(|s| s.is_empty()));
}

/// TestSelectorParse / TestSetSelectorParser invalid inputs, with the messages the upstream
/// parser produces for them (derived by following `selector.go`).
#[test]
fn invalid_selectors_fail_with_upstream_messages() {
    let ops = "in, notin, =, ==, !=, gt, lt";
    let label_value_re = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    let cases: Vec<(&str, String)> = vec![
        (
            "x=a||y=b",
            format!("unable to parse requirement: values[0][x]: Invalid value: \"a||y\": {label_value_re}"),
        ),
        ("x=a || y=b", "found '||', expected: ',' or 'end of string'".into()),
        ("x==a==b", "found '==', expected: ',' or 'end of string'".into()),
        ("!x=a", "found '=', expected: ',' or 'end of string'".into()),
        (
            "x<a",
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer".into(),
        ),
        ("x,,y", "found ',', expected: identifier after ','".into()),
        (",x,y", "found ',', expected: !, identifier, or 'end of string'".into()),
        (
            "x nott in (y)",
            format!("unable to parse requirement: found 'nott', expected: {ops}"),
        ),
        ("a in (xyz),", "found '', expected: identifier after ','".into()),
        ("a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'".into()),
        (
            "a in (xyz abc)",
            "unable to parse requirement: found 'abc', expected: ',' or ')'".into(),
        ),
        (
            "a notin(",
            "unable to parse requirement: found '', expected: ',', ')' or identifier".into(),
        ),
        ("a (", format!("unable to parse requirement: found '(', expected: {ops}")),
        ("(", "found '(', expected: !, identifier, or 'end of string'".into()),
        ("x in", "unable to parse requirement: found '' expected: '('".into()),
        ("x=(", "unable to parse requirement: found '(', expected: identifier".into()),
        ("!", "unable to parse requirement: found '', expected: identifier".into()),
        (
            "-x",
            "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".into(),
        ),
    ];
    for (input, want) in cases {
        match Selector::parse(input) {
            Ok(s) => panic!("{input:?} parsed as {s}"),
            Err(e) => assert_eq!(e.to_string(), want, "{input:?}"),
        }
    }
}

/// TestDeterministicParse.
#[test]
fn parsing_sorts_by_key() {
    let a = Selector::parse("x=a,a=x").map(|s| s.to_string());
    let b = Selector::parse("a=x,x=a").map(|s| s.to_string());
    assert_eq!(a, Ok("a=x,x=a".to_string()));
    assert_eq!(a, b);
}

/// TestSetSelectorParser: inputs and the requirements they parse to, sorted by key.
#[test]
fn set_based_parsing() {
    use Operator::*;
    let cases: Vec<(&str, Vec<Requirement>)> = vec![
        ("\rx", vec![req("x", Exists, &[])]),
        (
            "this-is-a-dns.domain.com/key-with-dash",
            vec![req("this-is-a-dns.domain.com/key-with-dash", Exists, &[])],
        ),
        (
            "this-is-another-dns.domain.com/key-with-dash in (so,what)",
            vec![req(
                "this-is-another-dns.domain.com/key-with-dash",
                In,
                &["so", "what"],
            )],
        ),
        (
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            vec![req(
                "0.1.2.domain/99",
                NotIn,
                &["10.10.100.1", "tick.tack.clock"],
            )],
        ),
        ("foo  in\t (abc)", vec![req("foo", In, &["abc"])]),
        ("x notin\n (abc)", vec![req("x", NotIn, &["abc"])]),
        ("x in (abc,)", vec![req("x", In, &["", "abc"])]),
        ("x in ()", vec![req("x", In, &[""])]),
        (
            "x notin (abc,,def),bar,z in (),w",
            vec![
                req("bar", Exists, &[]),
                req("w", Exists, &[]),
                req("x", NotIn, &["", "abc", "def"]),
                req("z", In, &[""]),
            ],
        ),
        (
            "x,y in (a)",
            vec![req("x", Exists, &[]), req("y", In, &["a"])],
        ),
        (
            "x=a,y!=b,z in (h,i,j)",
            vec![
                req("x", Equals, &["a"]),
                req("y", NotEquals, &["b"]),
                req("z", In, &["h", "i", "j"]),
            ],
        ),
        ("x notin ( )", vec![req("x", NotIn, &[""])]),
        ("x notin (, a)", vec![req("x", NotIn, &["", "a"])]),
        ("a ", vec![req("a", Exists, &[])]),
        (
            "a in (x,y,notin, z,in)",
            vec![req("a", In, &["in", "notin", "x", "y", "z"])],
        ),
    ];
    for (input, want) in cases {
        let got = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(got.requirements(), want.as_slice(), "{input:?}");
    }
}

/// TestSelectorMatches.
#[test]
fn string_selectors_match_label_sets() {
    let cases: Vec<(&str, Pairs, bool)> = vec![
        ("", vec![("x", "y")], true),
        ("x=y", vec![("x", "y")], true),
        ("x=y,z=w", vec![("x", "y"), ("z", "w")], true),
        ("x!=y,z!=w", vec![("x", "z"), ("z", "a")], true),
        ("notin=in", vec![("notin", "in")], true),
        ("x", vec![("x", "z")], true),
        ("!x", vec![("y", "z")], true),
        ("x>1", vec![("x", "2")], true),
        ("x<1", vec![("x", "0")], true),
        ("x=z", vec![], false),
        ("x=y", vec![("x", "z")], false),
        ("x=y,z=w", vec![("x", "w"), ("z", "w")], false),
        ("x!=y,z!=w", vec![("x", "z"), ("z", "w")], false),
        ("x", vec![("y", "z")], false),
        ("!x", vec![("x", "z")], false),
        ("x>1", vec![("x", "0")], false),
        ("x<1", vec![("x", "2")], false),
        (
            "foo=bar,foobar=bar,baz=blah",
            vec![("foo", "bar"), ("baz", "blah")],
            false,
        ),
    ];
    for (sel, set, want) in cases {
        let s = Selector::parse(sel).unwrap_or_else(|e| panic!("{sel:?}: {e}"));
        assert_eq!(s.matches(&labels(&set)), want, "{sel:?} vs {set:?}");
    }
}

/// TestRequirementSelectorMatching.
#[test]
fn requirement_selectors_match_label_sets() {
    use Operator::*;
    let cases: Vec<(Vec<Requirement>, Pairs, bool)> = vec![
        (
            vec![req("x", In, &["foo"]), req("y", NotIn, &["alpha"])],
            vec![("x", "foo"), ("y", "baz")],
            true,
        ),
        (
            vec![req("x", In, &["foo"]), req("y", In, &["alpha"])],
            vec![("x", "foo"), ("y", "baz")],
            false,
        ),
        (
            vec![req("x", NotIn, &[""]), req("y", Exists, &[])],
            vec![("y", "")],
            true,
        ),
        (
            vec![req("x", DoesNotExist, &[]), req("y", Exists, &[])],
            vec![("y", "")],
            true,
        ),
        (
            vec![req("x", NotIn, &[""]), req("y", DoesNotExist, &[])],
            vec![("y", "")],
            false,
        ),
        (vec![req("x", In, &[""])], vec![("y", "baz")], false),
        (vec![req("z", GreaterThan, &["1"])], vec![("z", "2")], true),
        (
            vec![req("z", GreaterThan, &["1"])],
            vec![("z", "v2")],
            false,
        ),
    ];
    for (reqs, set, want) in cases {
        let s = Selector::new(reqs);
        assert_eq!(s.matches(&labels(&set)), want, "{s} vs {set:?}");
    }
}

/// TestToString.
#[test]
fn constructed_selectors_print_like_upstream() {
    use Operator::*;
    let cases: Vec<(Vec<Requirement>, &str)> = vec![
        (
            vec![
                req("x", In, &["abc", "def"]),
                req("y", NotIn, &["jkl"]),
                req("z", Exists, &[]),
            ],
            "x in (abc,def),y notin (jkl),z",
        ),
        (
            vec![
                req("x", NotIn, &["abc", "def"]),
                req("y", NotEquals, &["jkl"]),
                req("z", DoesNotExist, &[]),
            ],
            "x notin (abc,def),y!=jkl,!z",
        ),
        (
            vec![
                req("x", NotIn, &["abc"]),
                req("y", In, &["jkl", "mno"]),
                req("z", NotIn, &[""]),
            ],
            "x notin (abc),y in (jkl,mno),z notin ()",
        ),
        (
            vec![
                req("x", Equals, &["abc"]),
                req("y", DoubleEquals, &["jkl"]),
                req("z", NotEquals, &["a"]),
                req("z", Exists, &[]),
            ],
            "x=abc,y==jkl,z!=a,z",
        ),
        (
            vec![
                req("x", GreaterThan, &["2"]),
                req("y", LessThan, &["8"]),
                req("z", Exists, &[]),
            ],
            "x>2,y<8,z",
        ),
        // Values given out of order are printed sorted.
        (vec![req("x", In, &["def", "abc"])], "x in (abc,def)"),
    ];
    for (reqs, want) in cases {
        assert_eq!(Selector::new(reqs).to_string(), want);
    }
}

/// The brief's example (spec §9, derived).
#[test]
fn env_tier_legacy_example() {
    let s = Selector::parse("env in (prod,qa),tier!=frontend,!legacy")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.requirements().len(), 3);
    assert_eq!(s.to_string(), "env in (prod,qa),!legacy,tier!=frontend");
    let cases: Vec<(Pairs, bool)> = vec![
        (vec![("env", "prod"), ("tier", "backend")], true),
        (vec![("env", "prod"), ("tier", "frontend")], false),
        (vec![("env", "dev")], false),
        (vec![("env", "qa"), ("legacy", "true")], false),
        (vec![("env", "qa")], true),
    ];
    for (set, want) in cases {
        assert_eq!(s.matches(&labels(&set)), want, "{set:?}");
    }
}

#[test]
fn everything_and_nothing() {
    let any = labels(&[("a", "b")]);
    assert!(Selector::everything().matches(&any));
    assert!(Selector::everything().matches(&BTreeMap::new()));
    assert!(Selector::everything().is_empty());
    assert!(!Selector::nothing().matches(&any));
    assert!(!Selector::nothing().matches(&BTreeMap::new()));
    assert!(!Selector::nothing().is_empty());
    assert!(Selector::nothing().matches_nothing());
    assert_eq!(Selector::nothing().to_string(), "");
    assert!(Selector::nothing()
        .with(vec![req("a", Operator::Exists, &[])])
        .matches_nothing());
}

#[test]
fn new_requirement_checks_counts_and_values() {
    use Operator::*;
    let long = "k".repeat(64);
    let bad: Vec<(&str, Operator, Vec<&str>, &str)> = vec![
        ("x", In, vec![], "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"),
        (
            "x",
            Equals,
            vec!["a", "b"],
            "values: Invalid value: [\"a\",\"b\"]: exact-match compatibility requires one single value",
        ),
        (
            "x",
            Exists,
            vec!["a"],
            "values: Invalid value: [\"a\"]: values set must be empty for exists and does not exist",
        ),
        (
            "x",
            GreaterThan,
            vec!["1", "2"],
            "values: Invalid value: [\"1\",\"2\"]: for 'Gt', 'Lt' operators, exactly one value is required",
        ),
        (
            &long,
            Exists,
            vec![],
            "key: Invalid value: \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": name part must be no more than 63 characters",
        ),
    ];
    for (key, op, vals, want) in bad {
        let vals: Vec<String> = vals.into_iter().map(String::from).collect();
        match Requirement::new(key, op, vals) {
            Ok(r) => panic!("{r} accepted"),
            Err(e) => assert_eq!(e.to_string(), want),
        }
    }
}

#[test]
fn label_selector_conversion() {
    // nil selects nothing, {} everything.
    assert!(Selector::from_label_selector(None).is_ok_and(|s| s.matches_nothing()));
    let empty = LabelSelector::default();
    assert!(Selector::from_label_selector(Some(&empty)).is_ok_and(|s| s.is_empty()));

    let json = r#"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["db"]},{"key":"canary","operator":"DoesNotExist"}]}"#;
    let ls: LabelSelector = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
    let s = Selector::from_label_selector(Some(&ls)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.to_string(), "app=web,!canary,tier notin (db)");
    assert!(s.matches(&labels(&[("app", "web"), ("tier", "fe")])));
    assert!(!s.matches(&labels(&[("app", "web"), ("tier", "db")])));
    assert!(!s.matches(&labels(&[("app", "web"), ("canary", "1")])));
    assert_eq!(serde_json::to_string(&ls).ok().as_deref(), Some(json));

    let bad_op = LabelSelector {
        match_expressions: vec![LabelSelectorRequirement {
            key: "a".into(),
            operator: "Foo".into(),
            values: vec![],
        }],
        ..Default::default()
    };
    assert_eq!(
        Selector::from_label_selector(Some(&bad_op)).map_err(|e| e.to_string()),
        Err("\"Foo\" is not a valid label selector operator".to_string())
    );
    let no_values = LabelSelector {
        match_expressions: vec![LabelSelectorRequirement {
            key: "a".into(),
            operator: "In".into(),
            values: vec![],
        }],
        ..Default::default()
    };
    assert_eq!(
        Selector::from_label_selector(Some(&no_values)).map_err(|e| e.to_string()),
        Err(
            "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"
                .to_string()
        )
    );
}

#[test]
fn service_selector_maps() {
    let set = labels(&[("app", "web"), ("tier", "fe")]);
    let s = Selector::from_validated_set(&set);
    assert_eq!(s.to_string(), "app=web,tier=fe");
    assert!(s.matches(&labels(&[("app", "web"), ("tier", "fe"), ("x", "y")])));
    assert!(!s.matches(&labels(&[("app", "web")])));
    assert_eq!(Selector::from_set(&set), Ok(s));
    assert!(Selector::from_validated_set(&BTreeMap::new()).is_empty());
    assert!(Selector::from_set(&labels(&[("app", "-x")])).is_err());
}

#[test]
fn label_selector_validation_messages() {
    let p = Path::new("spec").child("selector");
    let ls = LabelSelector {
        match_labels: labels(&[("app", "-web")]).into(),
        match_expressions: vec![
            LabelSelectorRequirement {
                key: "a".into(),
                operator: "In".into(),
                values: vec![],
            },
            LabelSelectorRequirement {
                key: "b".into(),
                operator: "Exists".into(),
                values: vec!["x".into()],
            },
            LabelSelectorRequirement {
                key: "c".into(),
                operator: "Foo".into(),
                values: vec![],
            },
        ],
    };
    let got: Vec<String> = validate_label_selector(Some(&ls), &p)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(got, vec![
        "spec.selector.matchLabels: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_string(),
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'".to_string(),
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'".to_string(),
        "spec.selector.matchExpressions[2].operator: Invalid value: \"Foo\": not a valid selector operator".to_string(),
    ]);
    assert!(validate_label_selector(None, &p).is_empty());
}

/// Pieces that exercise every lexer and parser path when glued together at random.
const PIECES: &[&str] = &[
    "x",
    "y",
    "a",
    "app",
    "in",
    "notin",
    "=",
    "==",
    "!=",
    "!",
    ",",
    "(",
    ")",
    ">",
    "<",
    " ",
    "\t",
    "1",
    "-2",
    "\0",
    "é",
    "/",
    "example.com/",
    "-",
    ".",
    "_",
    "||",
    "~",
];

fn glued() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..16).prop_map(|v| v.concat())
}

fn valid_requirement() -> impl Strategy<Value = Requirement> {
    let key = prop::sample::select(vec!["a", "b", "in", "notin", "example.com/x", "A.b_c-d"]);
    let value = prop::sample::select(vec!["", "v", "in", "notin", "1", "x.y", "Z_9"]);
    let int = prop::sample::select(vec!["0", "7", "42", "007"]);
    (
        key,
        0usize..9,
        prop::collection::btree_set(value.clone(), 1..4),
        value,
        int,
    )
        .prop_map(|(k, op, set, one, int)| {
            use Operator::*;
            let (op, vals): (Operator, Vec<String>) = match op {
                0 => (Exists, vec![]),
                1 => (DoesNotExist, vec![]),
                2 => (Equals, vec![one.into()]),
                3 => (DoubleEquals, vec![one.into()]),
                4 => (NotEquals, vec![one.into()]),
                5 => (In, set.into_iter().map(String::from).collect()),
                6 => (NotIn, set.into_iter().map(String::from).collect()),
                7 => (GreaterThan, vec![int.into()]),
                _ => (LessThan, vec![int.into()]),
            };
            match Requirement::new(k, op, vals) {
                Ok(r) => r,
                Err(e) => panic!("generator produced an invalid requirement: {e}"),
            }
        })
}

proptest! {
    #[test]
    fn parsing_never_panics(s in any::<String>()) {
        let _ = Selector::parse(&s);
    }

    #[test]
    fn whatever_parses_reparses_to_itself(s in glued()) {
        if let Ok(sel) = Selector::parse(&s) {
            let printed = sel.to_string();
            prop_assert_eq!(Selector::parse(&printed), Ok(sel), "printed {:?}", printed);
        }
    }

    #[test]
    fn built_selectors_round_trip_through_their_string(reqs in prop::collection::vec(valid_requirement(), 0..5)) {
        let sel = Selector::new(reqs);
        let printed = sel.to_string();
        prop_assert_eq!(Selector::parse(&printed), Ok(sel), "printed {:?}", printed);
    }
}
