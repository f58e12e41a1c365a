//! Console line → [`Command`]: a shell-like tokenizer and a parser that follows kubectl's
//! (cobra / pflag) rules: flags anywhere on the line, `--flag=value` and `--flag value`,
//! bundled short flags, `--` ends flags, and kubectl's wording for every usage error.

use crate::api::Kind;
use crate::time::{parse_duration, Millis};
use std::collections::BTreeMap;
use std::fmt;

/// A command line that could not be parsed; `message` is exactly what goes to stderr
/// (possibly several lines, without the final newline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The full error text.
    pub message: String,
}

impl ParseError {
    fn new(message: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
        }
    }
    /// `error: <msg>`, kubectl's `cmdutil.CheckErr` rendering.
    fn error(msg: impl fmt::Display) -> Self {
        ParseError::new(format!("error: {msg}"))
    }
    /// A flag error, followed by the `--help` hint cobra prints.
    fn flag(msg: impl fmt::Display, path: &str) -> Self {
        ParseError::new(format!("error: {msg}\nSee '{path} --help' for usage."))
    }
    /// A usage error (`cmdutil.UsageErrorf`), followed by the `-h` hint.
    fn usage(msg: impl fmt::Display, path: &str) -> Self {
        ParseError::new(format!(
            "error: {msg}\nSee '{path} -h' for help and examples"
        ))
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

// ------------------------------------------------------------------ tokenizer

/// Splits a line into words as a POSIX shell would: whitespace separates words, `'…'` is
/// literal, `"…"` allows `\"`, `\\`, `\$` and `` \` `` escapes, a backslash outside quotes
/// escapes the next character, and an unquoted word starting with `#` begins a comment.
pub fn tokenize(line: &str) -> Result<Vec<String>, ParseError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(ParseError::error("unterminated single quote")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => cur.push(e),
                            Some('\n') => {}
                            Some(other) => {
                                cur.push('\\');
                                cur.push(other);
                            }
                            None => return Err(ParseError::error("unterminated double quote")),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err(ParseError::error("unterminated double quote")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(ch) => cur.push(ch),
                    None => return Err(ParseError::error("trailing backslash")),
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

// ------------------------------------------------------------------ commands

/// `-o` output formats the console supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// The default table.
    Table,
    /// The table with extra columns.
    Wide,
    /// `-o yaml`.
    Yaml,
    /// `-o json`.
    Json,
    /// `-o name`: `kind.group/name`.
    Name,
}

/// Which objects a command addresses: kinds with optional names, as kubectl's resource
/// builder reads `pods`, `pods a b`, `pods,svc`, `pod/a svc/b` and `all`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Resources {
    /// Kinds in request order, each with the names asked for (empty: all of that kind).
    pub items: Vec<(Kind, Vec<String>)>,
    /// Print `kind/name` in tables (several kinds or `all`).
    pub show_kind: bool,
}

impl Resources {
    /// Whether any name was given.
    pub fn has_names(&self) -> bool {
        self.items.iter().any(|(_, n)| !n.is_empty())
    }
    /// `(kind, name)` pairs for commands that need names.
    pub fn named(&self) -> Vec<(Kind, String)> {
        self.items
            .iter()
            .flat_map(|(k, ns)| ns.iter().map(move |n| (*k, n.clone())))
            .collect()
    }
}

/// `kubectl get`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetCmd {
    /// What to list.
    pub resources: Resources,
    /// `-l`.
    pub selector: Option<String>,
    /// `-n`.
    pub namespace: Option<String>,
    /// `-A`.
    pub all_namespaces: bool,
    /// `-o`.
    pub output: OutputFormat,
    /// `--show-labels`.
    pub show_labels: bool,
    /// `--no-headers`.
    pub no_headers: bool,
}

/// `kubectl describe`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeCmd {
    /// What to describe (names are prefixes when no exact match exists, as in kubectl).
    pub resources: Resources,
    /// `-l`.
    pub selector: Option<String>,
    /// `-n`.
    pub namespace: Option<String>,
    /// `-A`.
    pub all_namespaces: bool,
}

/// `--dry-run` and `-o` of the imperative `create` commands.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CreateOptions {
    /// `-n`.
    pub namespace: Option<String>,
    /// `--dry-run=client|server`: print, do not store.
    pub dry_run: bool,
    /// `-o yaml|json|name`.
    pub output: Option<OutputFormat>,
}

/// Service types of `kubectl create service <type>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceTypeArg {
    /// `clusterip`.
    ClusterIp,
    /// `nodeport`.
    NodePort,
    /// `loadbalancer`.
    LoadBalancer,
    /// `externalname`.
    ExternalName,
}

impl ServiceTypeArg {
    /// The `spec.type` value.
    pub fn type_name(self) -> &'static str {
        match self {
            ServiceTypeArg::ClusterIp => "ClusterIP",
            ServiceTypeArg::NodePort => "NodePort",
            ServiceTypeArg::LoadBalancer => "LoadBalancer",
            ServiceTypeArg::ExternalName => "ExternalName",
        }
    }
    fn sub(self) -> &'static str {
        match self {
            ServiceTypeArg::ClusterIp => "clusterip",
            ServiceTypeArg::NodePort => "nodeport",
            ServiceTypeArg::LoadBalancer => "loadbalancer",
            ServiceTypeArg::ExternalName => "externalname",
        }
    }
}

/// `kubectl rollout <action>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolloutAction {
    /// `status`.
    Status,
    /// `history`.
    History,
    /// `undo [--to-revision=N]` (0 = previous revision).
    Undo {
        /// `--to-revision`.
        to_revision: i64,
    },
    /// `pause`.
    Pause,
    /// `resume`.
    Resume,
    /// `restart`.
    Restart,
}

/// One `key=value` or `key-` argument of `label` / `annotate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelUpdate {
    /// Set a key.
    Set(String, String),
    /// Remove a key (`key-`).
    Remove(String),
}

/// Options of `kubectl delete`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DeleteOptions {
    /// `--grace-period` (negative: use the object's).
    pub grace_period: Option<i64>,
    /// `--force`.
    pub force: bool,
    /// `--now` (grace period 1).
    pub now: bool,
    /// `--wait` (default true).
    pub wait: bool,
    /// `--ignore-not-found`.
    pub ignore_not_found: bool,
}

/// `--type` of `kubectl patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// Strategic merge patch (the default): lists of named items merge by name.
    Strategic,
    /// RFC 7386 JSON merge patch.
    Merge,
    /// RFC 6902 JSON patch.
    Json,
}

/// A parsed console line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// An empty line or a comment.
    Empty,
    /// `apply -f FILE…`.
    Apply {
        /// `-f` values (`-` is stdin).
        files: Vec<String>,
        /// `-n`.
        namespace: Option<String>,
    },
    /// `create -f FILE…`.
    CreateFromFiles {
        /// `-f` values.
        files: Vec<String>,
        /// `-n`.
        namespace: Option<String>,
    },
    /// `delete -f FILE…`.
    DeleteFromFiles {
        /// `-f` values.
        files: Vec<String>,
        /// `-n`.
        namespace: Option<String>,
        /// Delete options.
        options: DeleteOptions,
    },
    /// `get`.
    Get(GetCmd),
    /// `describe`.
    Describe(DescribeCmd),
    /// `create deployment NAME --image=… [--replicas=N] [--port=N]`.
    CreateDeployment {
        /// Name.
        name: String,
        /// One container per image.
        images: Vec<String>,
        /// `--replicas` (default 1).
        replicas: i32,
        /// `--port` (the first container's port).
        port: Option<i32>,
        /// `-n`, `--dry-run`, `-o`.
        options: CreateOptions,
    },
    /// `create service TYPE NAME --tcp=port[:targetPort]…`.
    CreateService {
        /// Type.
        type_: ServiceTypeArg,
        /// Name.
        name: String,
        /// `--tcp` specs, split on commas.
        tcp: Vec<String>,
        /// `--node-port` (nodeport only).
        node_port: Option<i32>,
        /// `--external-name` (externalname only).
        external_name: Option<String>,
        /// `--clusterip` (clusterip only; `None` makes it headless).
        cluster_ip: Option<String>,
        /// `-n`, `--dry-run`, `-o`.
        options: CreateOptions,
    },
    /// `create namespace NAME`.
    CreateNamespace {
        /// Name.
        name: String,
        /// `--dry-run`, `-o`.
        options: CreateOptions,
    },
    /// `expose KIND NAME --port=…`.
    Expose {
        /// Kind of the exposed object.
        kind: Kind,
        /// Its name.
        name: String,
        /// `--port`.
        port: Option<i32>,
        /// `--target-port` (number or name).
        target_port: Option<String>,
        /// `--type`.
        type_: Option<String>,
        /// `--name` of the Service (default: the object's name).
        service_name: Option<String>,
        /// `--protocol`.
        protocol: Option<String>,
        /// `-n`, `--dry-run`, `-o`.
        options: CreateOptions,
    },
    /// `scale KIND NAME… --replicas=N`.
    Scale {
        /// Targets.
        targets: Vec<(Kind, String)>,
        /// `--replicas`.
        replicas: i32,
        /// `-n`.
        namespace: Option<String>,
    },
    /// `set image KIND/NAME CONTAINER=IMAGE…`.
    SetImage {
        /// Targets.
        targets: Vec<(Kind, String)>,
        /// `(container or "*", image)`.
        images: Vec<(String, String)>,
        /// `-n`.
        namespace: Option<String>,
    },
    /// `rollout ACTION deployment/NAME`.
    Rollout {
        /// The action.
        action: RolloutAction,
        /// Targets.
        targets: Vec<(Kind, String)>,
        /// `-n`.
        namespace: Option<String>,
    },
    /// `label` (`annotate: false`) or `annotate` (`annotate: true`).
    Label {
        /// `annotate` instead of `label`.
        annotate: bool,
        /// Targets.
        resources: Resources,
        /// Changes.
        updates: Vec<LabelUpdate>,
        /// `--overwrite`.
        overwrite: bool,
        /// `-l`.
        selector: Option<String>,
        /// `--all`.
        all: bool,
        /// `-n`.
        namespace: Option<String>,
    },
    /// `delete KIND NAME… | -l SEL | --all`.
    Delete {
        /// Targets.
        resources: Resources,
        /// `-l`.
        selector: Option<String>,
        /// `--all`.
        all: bool,
        /// `-n`.
        namespace: Option<String>,
        /// Options.
        options: DeleteOptions,
    },
    /// `cordon NODE` / `uncordon NODE`.
    Cordon {
        /// Node names.
        nodes: Vec<String>,
        /// `false` for uncordon.
        cordon: bool,
    },
    /// `drain NODE`.
    Drain {
        /// Node name.
        node: String,
        /// `--ignore-daemonsets`.
        ignore_daemonsets: bool,
        /// `--delete-emptydir-data`.
        delete_emptydir_data: bool,
        /// `--force`.
        force: bool,
        /// `--grace-period` (negative: the pod's).
        grace_period: Option<i64>,
    },
    /// `patch KIND NAME -p PATCH`.
    Patch {
        /// Kind.
        kind: Kind,
        /// Name.
        name: String,
        /// The patch document (JSON or YAML).
        patch: String,
        /// `--type`.
        patch_type: PatchType,
        /// `-n`.
        namespace: Option<String>,
    },
    /// `run NAME --image=IMAGE [--labels=…] [--port=N] [--restart=…] [-- ARGS…]`.
    Run {
        /// Pod (and container) name.
        name: String,
        /// Image.
        image: String,
        /// `--labels k=v,…` (default `run=NAME`).
        labels: Vec<(String, String)>,
        /// `--port`.
        port: Option<i32>,
        /// `--restart` (`Always`, `OnFailure`, `Never`).
        restart: Option<String>,
        /// Arguments after `--` (`--command` makes them the command).
        args: Vec<String>,
        /// `--command`.
        command: bool,
        /// `-n`, `--dry-run`, `-o`.
        options: CreateOptions,
    },
    /// Playground: `wait DURATION` advances virtual time.
    Wait {
        /// How long.
        duration: Millis,
    },
    /// Playground: `node fail NAME`.
    NodeFail {
        /// Node.
        name: String,
    },
    /// Playground: `node recover NAME`.
    NodeRecover {
        /// Node.
        name: String,
    },
    /// Playground: `node add [NAME]`.
    NodeAdd {
        /// Name (generated when absent).
        name: Option<String>,
    },
    /// Data-plane verbs (`curl`, `exec`, `iptables-save`, …), parsed by their own module.
    Extension {
        /// The verb.
        verb: String,
        /// Words after the verb.
        args: Vec<String>,
    },
}

/// Verbs handed through as [`Command::Extension`].
pub const EXTENSION_VERBS: [&str; 10] = [
    "exec",
    "curl",
    "traffic",
    "trace",
    "iptables-save",
    "ipvsadm",
    "nft",
    "conntrack",
    "nslookup",
    "ip",
];

// ------------------------------------------------------------------ flags

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FlagKind {
    Bool,
    Str,
    Int,
    /// Repeatable string flag; each value is also split on commas (pflag `StringSlice`).
    Slice,
    /// Repeatable string flag without comma splitting (`StringArray`).
    Array,
}

#[derive(Clone, Copy, Debug)]
struct Flag {
    long: &'static str,
    short: Option<char>,
    kind: FlagKind,
}

const fn f(long: &'static str, short: Option<char>, kind: FlagKind) -> Flag {
    Flag { long, short, kind }
}

use FlagKind::*;

const NAMESPACE: Flag = f("namespace", Some('n'), Str);
const SELECTOR: Flag = f("selector", Some('l'), Str);
const OUTPUT: Flag = f("output", Some('o'), Str);
const FILENAME: Flag = f("filename", Some('f'), Slice);
const DRY_RUN: Flag = f("dry-run", None, Str);
const ALL_NAMESPACES: Flag = f("all-namespaces", Some('A'), Bool);

/// Parsed flag values and positional arguments.
struct Parsed {
    values: BTreeMap<&'static str, Vec<String>>,
    args: Vec<String>,
    path: String,
}

impl Parsed {
    fn str(&self, long: &str) -> Option<String> {
        self.values.get(long).and_then(|v| v.last().cloned())
    }
    fn list(&self, long: &str) -> Vec<String> {
        self.values.get(long).cloned().unwrap_or_default()
    }
    fn has(&self, long: &str) -> bool {
        self.values.contains_key(long)
    }
    fn bool(&self, long: &str) -> bool {
        self.str(long).is_some_and(|v| v == "true")
    }
    fn int(&self, long: &str) -> Option<i64> {
        self.str(long).and_then(|v| v.parse().ok())
    }
    fn require(&self, long: &str) -> Result<(), ParseError> {
        if self.has(long) {
            Ok(())
        } else {
            Err(ParseError::error(format!(
                "required flag(s) \"{long}\" not set"
            )))
        }
    }
    fn namespace(&self) -> Option<String> {
        self.str("namespace")
    }
}

fn flag_display(flag: &Flag) -> String {
    match flag.short {
        Some(s) => format!("-{s}, --{}", flag.long),
        None => format!("--{}", flag.long),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Parses `words` against `flags` (plus the global `-n`) the way pflag does.
fn parse_flags(words: &[String], flags: &[Flag], path: &str) -> Result<Parsed, ParseError> {
    let mut all: Vec<Flag> = flags.to_vec();
    if !all.iter().any(|f| f.long == "namespace") {
        all.push(NAMESPACE);
    }
    let mut p = Parsed {
        values: BTreeMap::new(),
        args: Vec::new(),
        path: path.to_string(),
    };
    let mut i = 0;
    let set = |p: &mut Parsed, flag: &Flag, value: String| -> Result<(), ParseError> {
        let value = match flag.kind {
            Bool => match parse_bool(&value) {
                Some(b) => b.to_string(),
                None => {
                    return Err(ParseError::flag(
                        format!(
                            "invalid argument \"{value}\" for \"{}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax",
                            flag_display(flag)
                        ),
                        path,
                    ))
                }
            },
            Int => {
                if let Err(e) = value.parse::<i64>() {
                    let why = match e.kind() {
                        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                            "value out of range"
                        }
                        _ => "invalid syntax",
                    };
                    return Err(ParseError::flag(
                        format!(
                            "invalid argument \"{value}\" for \"{}\" flag: strconv.ParseInt: parsing \"{value}\": {why}",
                            flag_display(flag)
                        ),
                        path,
                    ));
                }
                value
            }
            _ => value,
        };
        let entry = p.values.entry(flag.long).or_default();
        match flag.kind {
            Slice => entry.extend(value.split(',').map(str::to_string)),
            Array => entry.push(value),
            _ => *entry = vec![value],
        }
        Ok(())
    };
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "--" {
            p.args.extend(words[i..].iter().cloned());
            break;
        }
        if let Some(body) = w.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(flag) = all.iter().find(|f| f.long == name) else {
                return Err(ParseError::flag(format!("unknown flag: --{name}"), path));
            };
            let value = match (inline, flag.kind) {
                (Some(v), _) => v,
                (None, Bool) => "true".to_string(),
                (None, _) => match words.get(i) {
                    Some(v) => {
                        i += 1;
                        v.clone()
                    }
                    None => {
                        return Err(ParseError::flag(
                            format!("flag needs an argument: --{name}"),
                            path,
                        ))
                    }
                },
            };
            set(&mut p, flag, value)?;
        } else if w.len() > 1 && w.starts_with('-') {
            // Bundled shorthands: `-it`, `-nkube-system`, `-n=kube-system`.
            let body: Vec<char> = w.chars().skip(1).collect();
            let mut j = 0;
            while j < body.len() {
                let c = body[j];
                j += 1;
                let Some(flag) = all.iter().find(|f| f.short == Some(c)) else {
                    return Err(ParseError::flag(
                        format!("unknown shorthand flag: '{c}' in {w}"),
                        path,
                    ));
                };
                if flag.kind == Bool {
                    if body.get(j) == Some(&'=') {
                        let v: String = body[j + 1..].iter().collect();
                        set(&mut p, flag, v)?;
                        break;
                    }
                    set(&mut p, flag, "true".into())?;
                    continue;
                }
                let rest: String = body[j..].iter().collect();
                let value = if !rest.is_empty() {
                    rest.strip_prefix('=').unwrap_or(&rest).to_string()
                } else {
                    match words.get(i) {
                        Some(v) => {
                            i += 1;
                            v.clone()
                        }
                        None => {
                            return Err(ParseError::flag(
                                format!("flag needs an argument: '{c}' in -{c}"),
                                path,
                            ))
                        }
                    }
                };
                set(&mut p, flag, value)?;
                break;
            }
        } else {
            p.args.push(w.clone());
        }
    }
    Ok(p)
}

// ------------------------------------------------------------------ resource arguments

fn resource_kind(arg: &str) -> Result<Kind, ParseError> {
    Kind::from_resource_arg(arg).ok_or_else(|| {
        ParseError::error(format!("the server doesn't have a resource type \"{arg}\""))
    })
}

/// The kinds `kubectl get all` lists (the `all` category), in discovery order.
pub const ALL_CATEGORY: [Kind; 5] = [
    Kind::Pod,
    Kind::ReplicationController,
    Kind::Service,
    Kind::Deployment,
    Kind::ReplicaSet,
];

/// kubectl's resource builder: `TYPE[,TYPE…] [NAME…]` or `TYPE/NAME…`.
fn resource_args(args: &[String], allow_all: bool) -> Result<Resources, ParseError> {
    let mut res = Resources::default();
    let Some(first) = args.first() else {
        return Ok(res);
    };
    let push = |res: &mut Resources, kind: Kind, name: Option<String>| match res
        .items
        .iter_mut()
        .find(|(k, _)| *k == kind)
    {
        Some((_, names)) => names.extend(name),
        None => res.items.push((kind, name.into_iter().collect())),
    };
    if args.iter().any(|a| a.contains('/')) {
        for a in args {
            let Some((t, n)) = a.split_once('/') else {
                return Err(ParseError::error(
                    "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'"
                ));
            };
            if n.contains('/') {
                return Err(ParseError::error(
                    "arguments in resource/name form may not have more than one slash",
                ));
            }
            if t.is_empty() || n.is_empty() {
                return Err(ParseError::error(
                    "arguments in resource/name form must have a single resource and name",
                ));
            }
            push(&mut res, resource_kind(t)?, Some(n.to_string()));
        }
        res.show_kind = res.items.len() > 1;
        return Ok(res);
    }
    for t in first.split(',') {
        if allow_all && t.eq_ignore_ascii_case("all") {
            for k in ALL_CATEGORY {
                push(&mut res, k, None);
            }
            res.show_kind = true;
        } else if t.is_empty() {
            continue;
        } else {
            push(&mut res, resource_kind(t)?, None);
        }
    }
    if res.items.len() > 1 {
        res.show_kind = true;
    }
    let names: Vec<String> = args[1..].to_vec();
    for (_, n) in res.items.iter_mut() {
        n.extend(names.iter().cloned());
    }
    Ok(res)
}

fn output_format(v: Option<String>) -> Result<OutputFormat, ParseError> {
    match v.as_deref() {
        None | Some("") => Ok(OutputFormat::Table),
        Some("wide") => Ok(OutputFormat::Wide),
        Some("yaml") => Ok(OutputFormat::Yaml),
        Some("json") => Ok(OutputFormat::Json),
        Some("name") => Ok(OutputFormat::Name),
        Some(other) => Err(ParseError::error(format!(
            "unable to match a printer suitable for the output format \"{other}\", allowed formats are: json,name,wide,yaml"
        ))),
    }
}

fn create_options(p: &Parsed) -> Result<CreateOptions, ParseError> {
    let dry_run = match p.str("dry-run").as_deref() {
        None | Some("none") => false,
        Some("client") | Some("server") => true,
        Some(other) => {
            return Err(ParseError::error(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )))
        }
    };
    let output = match p.str("output") {
        None => None,
        Some(o) => match output_format(Some(o))? {
            OutputFormat::Table | OutputFormat::Wide => {
                return Err(ParseError::error(
                    "unable to match a printer suitable for the output format \"wide\", allowed formats are: json,name,yaml",
                ))
            }
            other => Some(other),
        },
    };
    Ok(CreateOptions {
        namespace: p.namespace(),
        dry_run,
        output,
    })
}

fn exactly_one_name(p: &Parsed) -> Result<String, ParseError> {
    match p.args.as_slice() {
        [one] => Ok(one.clone()),
        other => Err(ParseError::usage(
            format!("exactly one NAME is required, got {}", other.len()),
            &p.path,
        )),
    }
}

fn int_flag(p: &Parsed, long: &str) -> Result<Option<i32>, ParseError> {
    match p.int(long) {
        None => Ok(None),
        Some(v) => i32::try_from(v).map(Some).map_err(|_| {
            ParseError::flag(
                format!(
                    "invalid argument \"{v}\" for \"--{long}\" flag: strconv.ParseInt: parsing \"{v}\": value out of range"
                ),
                &p.path,
            )
        }),
    }
}

const NO_RESOURCES: &str = "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'";

/// Targets that must be `(kind, name)` pairs: `TYPE NAME…` or `TYPE/NAME…`.
fn named_targets(p: &Parsed) -> Result<Vec<(Kind, String)>, ParseError> {
    if p.args.is_empty() {
        return Err(ParseError::error(NO_RESOURCES));
    }
    let res = resource_args(&p.args, false)?;
    let named = res.named();
    if named.is_empty() {
        return Err(ParseError::error(
            "resource(s) were provided, but no name was specified",
        ));
    }
    Ok(named)
}

// ------------------------------------------------------------------ parser

/// Parses one console line. The leading word `kubectl` is optional.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let words = tokenize(line)?;
    let words: &[String] = match words.first().map(String::as_str) {
        Some("kubectl") => &words[1..],
        _ => &words[..],
    };
    let Some(verb) = words.first() else {
        return Ok(Command::Empty);
    };
    let rest = &words[1..];
    match verb.as_str() {
        "get" => parse_get(rest),
        "describe" => parse_describe(rest),
        "apply" => parse_apply(rest),
        "create" => parse_create(rest),
        "expose" => parse_expose(rest),
        "run" => parse_run(rest),
        "scale" => parse_scale(rest),
        "set" => parse_set(rest),
        "rollout" => parse_rollout(rest),
        "label" => parse_label(rest, false),
        "annotate" => parse_label(rest, true),
        "delete" => parse_delete(rest),
        "cordon" | "uncordon" => parse_cordon(rest, verb == "cordon"),
        "drain" => parse_drain(rest),
        "patch" => parse_patch(rest),
        "wait" => parse_wait(rest),
        "node" => parse_node(rest),
        v if EXTENSION_VERBS.contains(&v) => Ok(Command::Extension {
            verb: v.to_string(),
            args: rest.to_vec(),
        }),
        other => Err(ParseError::error(format!(
            "unknown command \"{other}\" for \"kubectl\""
        ))),
    }
}

fn parse_get(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(
        words,
        &[
            SELECTOR,
            OUTPUT,
            ALL_NAMESPACES,
            f("show-labels", None, Bool),
            f("no-headers", None, Bool),
        ],
        "kubectl get",
    )?;
    if p.args.is_empty() {
        return Err(ParseError::new(
            "You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples",
        ));
    }
    let output = output_format(p.str("output"))?;
    let resources = resource_args(&p.args, true)?;
    let selector = p.str("selector");
    if selector.is_some() && resources.has_names() {
        return Err(ParseError::error(
            "name cannot be provided when a selector is specified",
        ));
    }
    Ok(Command::Get(GetCmd {
        resources,
        selector,
        namespace: p.namespace(),
        all_namespaces: p.bool("all-namespaces"),
        output,
        show_labels: p.bool("show-labels"),
        no_headers: p.bool("no-headers"),
    }))
}

fn parse_describe(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(words, &[SELECTOR, ALL_NAMESPACES], "kubectl describe")?;
    if p.args.is_empty() {
        return Err(ParseError::error(
            "You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.",
        ));
    }
    let resources = resource_args(&p.args, true)?;
    let selector = p.str("selector");
    if selector.is_some() && resources.has_names() {
        return Err(ParseError::error(
            "name cannot be provided when a selector is specified",
        ));
    }
    Ok(Command::Describe(DescribeCmd {
        resources,
        selector,
        namespace: p.namespace(),
        all_namespaces: p.bool("all-namespaces"),
    }))
}

fn parse_apply(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(words, &[FILENAME], "kubectl apply")?;
    let files = p.list("filename");
    if files.is_empty() {
        return Err(ParseError::error("must specify one of -f and -k"));
    }
    if let Some(a) = p.args.first() {
        return Err(ParseError::usage(
            format!("Unexpected args: [{a}]"),
            "kubectl apply",
        ));
    }
    Ok(Command::Apply {
        files,
        namespace: p.namespace(),
    })
}

fn parse_create(words: &[String]) -> Result<Command, ParseError> {
    // Subcommands are found among the positional words; flags may come first.
    let sub = words.iter().position(|w| !w.starts_with('-'));
    let sub_name = sub.map(|i| words[i].as_str());
    match sub_name {
        Some("deployment") | Some("deploy") => {
            let i = sub.unwrap_or(0);
            let rest: Vec<String> = words[..i].iter().chain(&words[i + 1..]).cloned().collect();
            parse_create_deployment(&rest)
        }
        Some("service") | Some("svc") => {
            let i = sub.unwrap_or(0);
            let rest: Vec<String> = words[..i].iter().chain(&words[i + 1..]).cloned().collect();
            parse_create_service(&rest)
        }
        Some("namespace") | Some("ns") => {
            let i = sub.unwrap_or(0);
            let rest: Vec<String> = words[..i].iter().chain(&words[i + 1..]).cloned().collect();
            let p = parse_flags(&rest, &[DRY_RUN, OUTPUT], "kubectl create namespace")?;
            let name = exactly_one_name(&p)?;
            Ok(Command::CreateNamespace {
                name,
                options: create_options(&p)?,
            })
        }
        _ => {
            let p = parse_flags(words, &[FILENAME], "kubectl create")?;
            let files = p.list("filename");
            if let Some(a) = p.args.first() {
                return Err(ParseError::usage(
                    format!("Unexpected args: [{a}]"),
                    "kubectl create",
                ));
            }
            if files.is_empty() {
                return Err(ParseError::error("must specify one of -f and -k"));
            }
            Ok(Command::CreateFromFiles {
                files,
                namespace: p.namespace(),
            })
        }
    }
}

fn parse_run(words: &[String]) -> Result<Command, ParseError> {
    let (flags, args) = match words.iter().position(|w| w == "--") {
        Some(i) => (&words[..i], words[i + 1..].to_vec()),
        None => (words, Vec::new()),
    };
    let p = parse_flags(
        flags,
        &[
            f("image", None, Str),
            f("labels", Some('l'), Str),
            f("port", None, Int),
            f("restart", None, Str),
            f("command", None, Bool),
            DRY_RUN,
            OUTPUT,
        ],
        "kubectl run",
    )?;
    let name = match p.args.as_slice() {
        [] => return Err(ParseError::usage("NAME is required for run", "kubectl run")),
        [n, rest @ ..] => {
            if !rest.is_empty() && args.is_empty() {
                // kubectl takes extra words as arguments to the container.
                return Ok(Command::Run {
                    name: n.clone(),
                    image: p
                        .str("image")
                        .ok_or_else(|| ParseError::error("required flag(s) \"image\" not set"))?,
                    labels: run_labels(n, p.str("labels"))?,
                    port: int_flag(&p, "port")?,
                    restart: run_restart(p.str("restart"))?,
                    args: rest.to_vec(),
                    command: p.bool("command"),
                    options: create_options(&p)?,
                });
            }
            n.clone()
        }
    };
    let image = p
        .str("image")
        .ok_or_else(|| ParseError::error("required flag(s) \"image\" not set"))?;
    Ok(Command::Run {
        labels: run_labels(&name, p.str("labels"))?,
        port: int_flag(&p, "port")?,
        restart: run_restart(p.str("restart"))?,
        name,
        image,
        args,
        command: p.bool("command"),
        options: create_options(&p)?,
    })
}

fn run_labels(name: &str, labels: Option<String>) -> Result<Vec<(String, String)>, ParseError> {
    match labels {
        None => Ok(vec![("run".to_string(), name.to_string())]),
        Some(l) => l
            .split(',')
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
                _ => Err(ParseError::error(format!("invalid label spec: {kv}"))),
            })
            .collect(),
    }
}

fn run_restart(r: Option<String>) -> Result<Option<String>, ParseError> {
    match r.as_deref() {
        None => Ok(None),
        Some("Always") | Some("OnFailure") | Some("Never") => Ok(r),
        Some(other) => Err(ParseError::error(format!(
            "invalid restart policy: {other}"
        ))),
    }
}

fn parse_create_deployment(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(
        words,
        &[
            f("image", None, Array),
            f("replicas", Some('r'), Int),
            f("port", None, Int),
            DRY_RUN,
            OUTPUT,
        ],
        "kubectl create deployment",
    )?;
    p.require("image")?;
    let name = exactly_one_name(&p)?;
    let replicas = int_flag(&p, "replicas")?.unwrap_or(1);
    let port = int_flag(&p, "port")?.filter(|p| *p >= 0);
    Ok(Command::CreateDeployment {
        name,
        images: p.list("image"),
        replicas,
        port,
        options: create_options(&p)?,
    })
}

fn parse_create_service(words: &[String]) -> Result<Command, ParseError> {
    let sub = words.iter().position(|w| !w.starts_with('-'));
    let type_ = match sub.map(|i| words[i].as_str()) {
        Some("clusterip") => ServiceTypeArg::ClusterIp,
        Some("nodeport") => ServiceTypeArg::NodePort,
        Some("loadbalancer") => ServiceTypeArg::LoadBalancer,
        Some("externalname") => ServiceTypeArg::ExternalName,
        Some(_) => {
            let i = sub.unwrap_or(0);
            let args: Vec<&str> = words[i..]
                .iter()
                .filter(|w| !w.starts_with('-'))
                .map(String::as_str)
                .collect();
            return Err(ParseError::new(format!(
                "error: unknown command \"{}\"\nSee 'kubectl create service -h' for help and examples",
                args.join(" ")
            )));
        }
        None => {
            return Err(ParseError::error(
                "create service needs a type: clusterip, nodeport, loadbalancer or externalname",
            ))
        }
    };
    let i = sub.unwrap_or(0);
    let rest: Vec<String> = words[..i].iter().chain(&words[i + 1..]).cloned().collect();
    let path = format!("kubectl create service {}", type_.sub());
    let mut flags = vec![DRY_RUN, OUTPUT];
    match type_ {
        ServiceTypeArg::ExternalName => {
            flags.push(f("external-name", None, Str));
            flags.push(f("tcp", None, Slice));
        }
        ServiceTypeArg::NodePort => {
            flags.push(f("tcp", None, Slice));
            flags.push(f("node-port", None, Int));
        }
        ServiceTypeArg::ClusterIp => {
            flags.push(f("tcp", None, Slice));
            flags.push(f("clusterip", None, Str));
        }
        ServiceTypeArg::LoadBalancer => flags.push(f("tcp", None, Slice)),
    }
    let p = parse_flags(&rest, &flags, &path)?;
    if type_ == ServiceTypeArg::ExternalName {
        p.require("external-name")?;
    }
    let name = exactly_one_name(&p)?;
    let tcp: Vec<String> = p.list("tcp");
    let cluster_ip = p.str("clusterip");
    let headless = cluster_ip.as_deref() == Some("None");
    if tcp.is_empty() && type_ != ServiceTypeArg::ExternalName && !headless {
        return Err(ParseError::error(
            "at least one tcp port specifier must be provided",
        ));
    }
    for spec in &tcp {
        check_tcp_spec(spec)?;
    }
    Ok(Command::CreateService {
        type_,
        name,
        tcp,
        node_port: int_flag(&p, "node-port")?.filter(|n| *n != 0),
        external_name: p.str("external-name"),
        cluster_ip,
        options: create_options(&p)?,
    })
}

/// Checks a `--tcp` spec as `kubectl create service` parses it (`strconv.ParseUint(port, 10, 16)`).
fn check_tcp_spec(spec: &str) -> Result<(), ParseError> {
    let port = spec.split(':').next().unwrap_or("");
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::error(format!(
            "strconv.ParseUint: parsing \"{port}\": invalid syntax"
        )));
    }
    if port.parse::<u16>().is_err() {
        return Err(ParseError::error(format!(
            "strconv.ParseUint: parsing \"{port}\": value out of range"
        )));
    }
    Ok(())
}

fn parse_expose(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(
        words,
        &[
            f("port", None, Str),
            f("target-port", None, Str),
            f("type", None, Str),
            f("name", None, Str),
            f("protocol", None, Str),
            DRY_RUN,
            OUTPUT,
        ],
        "kubectl expose",
    )?;
    let targets = named_targets(&p)?;
    let (kind, name) = match targets.as_slice() {
        [one] => one.clone(),
        _ => return Err(ParseError::error("expose takes exactly one resource")),
    };
    if !matches!(
        kind,
        Kind::Deployment
            | Kind::ReplicaSet
            | Kind::ReplicationController
            | Kind::Pod
            | Kind::Service
    ) {
        return Err(ParseError::error(format!(
            "cannot expose a {}",
            kind.name()
        )));
    }
    let port = match p.str("port") {
        None => None,
        Some(v) => Some(v.parse::<i32>().map_err(|_| {
            ParseError::error(format!("strconv.Atoi: parsing \"{v}\": invalid syntax"))
        })?),
    };
    let type_ = match p.str("type") {
        None => None,
        Some(t) => {
            let canonical = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
                .into_iter()
                .find(|c| c.eq_ignore_ascii_case(&t));
            match canonical {
                Some(c) => Some(c.to_string()),
                None => {
                    return Err(ParseError::error(format!(
                        "invalid service type: {t}; must be one of ClusterIP, NodePort, LoadBalancer, ExternalName"
                    )))
                }
            }
        }
    };
    Ok(Command::Expose {
        kind,
        name,
        port,
        target_port: p.str("target-port"),
        type_,
        service_name: p.str("name"),
        protocol: p.str("protocol"),
        options: create_options(&p)?,
    })
}

fn parse_scale(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(words, &[f("replicas", None, Int)], "kubectl scale")?;
    p.require("replicas")?;
    let replicas = int_flag(&p, "replicas")?.unwrap_or(-1);
    if replicas < 0 {
        return Err(ParseError::error(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0",
        ));
    }
    let targets = named_targets(&p)?;
    Ok(Command::Scale {
        targets,
        replicas,
        namespace: p.namespace(),
    })
}

fn parse_set(words: &[String]) -> Result<Command, ParseError> {
    match words.first().map(String::as_str) {
        Some("image") => {}
        Some(other) => {
            return Err(ParseError::new(format!(
                "error: unknown command \"{other}\"\nSee 'kubectl set -h' for help and examples"
            )))
        }
        None => return Err(ParseError::error("set needs a subcommand: image")),
    }
    let p = parse_flags(&words[1..], &[], "kubectl set image")?;
    let (updates, resources): (Vec<String>, Vec<String>) =
        p.args.iter().cloned().partition(|a| a.contains('='));
    if resources.is_empty() {
        return Err(ParseError::error(NO_RESOURCES));
    }
    if updates.is_empty() {
        return Err(ParseError::error("at least one image update is required"));
    }
    let rp = Parsed {
        values: BTreeMap::new(),
        args: resources,
        path: p.path.clone(),
    };
    let targets = named_targets(&rp)?;
    let mut images = Vec::new();
    for u in updates {
        let (c, img) = u.split_once('=').unwrap_or((&u, ""));
        if c.is_empty() || img.is_empty() {
            return Err(ParseError::error(format!("invalid image update: {u}")));
        }
        images.push((c.to_string(), img.to_string()));
    }
    Ok(Command::SetImage {
        targets,
        images,
        namespace: p.namespace(),
    })
}

fn parse_rollout(words: &[String]) -> Result<Command, ParseError> {
    let Some(sub) = words.first() else {
        return Err(ParseError::error(
            "rollout needs a subcommand: history, pause, restart, resume, status, undo",
        ));
    };
    let rest = &words[1..];
    let path = format!("kubectl rollout {sub}");
    let (action, p) = match sub.as_str() {
        "status" => (
            RolloutAction::Status,
            parse_flags(rest, &[f("watch", Some('w'), Bool)], &path)?,
        ),
        "history" => (RolloutAction::History, parse_flags(rest, &[], &path)?),
        "pause" => (RolloutAction::Pause, parse_flags(rest, &[], &path)?),
        "resume" => (RolloutAction::Resume, parse_flags(rest, &[], &path)?),
        "restart" => (RolloutAction::Restart, parse_flags(rest, &[], &path)?),
        "undo" => {
            let p = parse_flags(rest, &[f("to-revision", None, Int)], &path)?;
            (
                RolloutAction::Undo {
                    to_revision: p.int("to-revision").unwrap_or(0),
                },
                p,
            )
        }
        other => {
            return Err(ParseError::new(format!(
                "error: unknown command \"{other}\"\nSee 'kubectl rollout -h' for help and examples"
            )))
        }
    };
    if p.args.is_empty() {
        return Err(ParseError::error("required resource not specified"));
    }
    let targets = named_targets(&p)?;
    Ok(Command::Rollout {
        action,
        targets,
        namespace: p.namespace(),
    })
}

fn parse_label(words: &[String], annotate: bool) -> Result<Command, ParseError> {
    let path = if annotate {
        "kubectl annotate"
    } else {
        "kubectl label"
    };
    let p = parse_flags(
        words,
        &[
            SELECTOR,
            f("overwrite", None, Bool),
            f("all", None, Bool),
            ALL_NAMESPACES,
        ],
        path,
    )?;
    let what = if annotate { "annotation" } else { "label" };
    let (upd, res): (Vec<String>, Vec<String>) = p
        .args
        .iter()
        .cloned()
        .partition(|a| a.contains('=') || (a.ends_with('-') && a.len() > 1));
    if res.is_empty() {
        return Err(ParseError::error(
            "one or more resources must be specified as <resource> <name> or <resource>/<name>",
        ));
    }
    if upd.is_empty() {
        return Err(ParseError::error(format!(
            "at least one {what} update is required"
        )));
    }
    let resources = resource_args(&res, false)?;
    let selector = p.str("selector");
    let all = p.bool("all");
    if !resources.has_names() && selector.is_none() && !all {
        return Err(ParseError::error(
            "resource(s) were provided, but no name was specified",
        ));
    }
    let mut updates = Vec::new();
    for u in upd {
        if let Some((k, v)) = u.split_once('=') {
            updates.push(LabelUpdate::Set(k.to_string(), v.to_string()));
        } else if let Some(k) = u.strip_suffix('-') {
            updates.push(LabelUpdate::Remove(k.to_string()));
        }
    }
    Ok(Command::Label {
        annotate,
        resources,
        updates,
        overwrite: p.bool("overwrite"),
        selector,
        all,
        namespace: p.namespace(),
    })
}

fn delete_options(p: &Parsed) -> DeleteOptions {
    DeleteOptions {
        grace_period: p.int("grace-period"),
        force: p.bool("force"),
        now: p.bool("now"),
        wait: !p.has("wait") || p.bool("wait"),
        ignore_not_found: p.bool("ignore-not-found"),
    }
}

fn parse_delete(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(
        words,
        &[
            FILENAME,
            SELECTOR,
            f("all", None, Bool),
            ALL_NAMESPACES,
            f("grace-period", None, Int),
            f("force", None, Bool),
            f("now", None, Bool),
            f("wait", None, Bool),
            f("ignore-not-found", None, Bool),
            f("cascade", None, Str),
        ],
        "kubectl delete",
    )?;
    let options = delete_options(&p);
    let files = p.list("filename");
    if !files.is_empty() {
        if !p.args.is_empty() {
            return Err(ParseError::error(
                "Unexpected args: resource arguments cannot be combined with --filename",
            ));
        }
        return Ok(Command::DeleteFromFiles {
            files,
            namespace: p.namespace(),
            options,
        });
    }
    if p.args.is_empty() {
        return Err(ParseError::error(
            "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'",
        ));
    }
    let resources = resource_args(&p.args, false)?;
    let selector = p.str("selector");
    let all = p.bool("all");
    if (selector.is_some() || all) && resources.has_names() {
        return Err(ParseError::error(
            "name cannot be provided when a selector is specified",
        ));
    }
    if all && selector.is_some() {
        return Err(ParseError::error(
            "setting 'all' parameter but found a non empty selector. ",
        ));
    }
    if !resources.has_names() && selector.is_none() && !all {
        return Err(ParseError::error(
            "resource(s) were provided, but no name was specified",
        ));
    }
    Ok(Command::Delete {
        resources,
        selector,
        all,
        namespace: p.namespace(),
        options,
    })
}

fn parse_cordon(words: &[String], cordon: bool) -> Result<Command, ParseError> {
    let verb = if cordon { "cordon" } else { "uncordon" };
    let path = format!("kubectl {verb}");
    let p = parse_flags(words, &[], &path)?;
    if p.args.is_empty() {
        return Err(ParseError::usage(
            format!("USAGE: {verb} NODE [flags]"),
            &path,
        ));
    }
    Ok(Command::Cordon {
        nodes: p.args,
        cordon,
    })
}

fn parse_drain(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(
        words,
        &[
            f("ignore-daemonsets", None, Bool),
            f("delete-emptydir-data", None, Bool),
            f("force", None, Bool),
            f("grace-period", None, Int),
        ],
        "kubectl drain",
    )?;
    let node = match p.args.as_slice() {
        [one] => one.clone(),
        _ => {
            return Err(ParseError::usage(
                "USAGE: drain NODE [flags]",
                "kubectl drain",
            ))
        }
    };
    Ok(Command::Drain {
        node,
        ignore_daemonsets: p.bool("ignore-daemonsets"),
        delete_emptydir_data: p.bool("delete-emptydir-data"),
        force: p.bool("force"),
        grace_period: p.int("grace-period").filter(|g| *g >= 0),
    })
}

fn parse_patch(words: &[String]) -> Result<Command, ParseError> {
    let p = parse_flags(
        words,
        &[f("patch", Some('p'), Str), f("type", None, Str)],
        "kubectl patch",
    )?;
    let patch_type = match p.str("type").as_deref() {
        None | Some("strategic") => PatchType::Strategic,
        Some("merge") => PatchType::Merge,
        Some("json") => PatchType::Json,
        Some(other) => {
            return Err(ParseError::error(format!(
                "--type must be one of [json merge strategic], not \"{other}\""
            )))
        }
    };
    let Some(patch) = p.str("patch") else {
        return Err(ParseError::error(
            "must specify --patch or --patch-file containing the contents of the patch",
        ));
    };
    let targets = named_targets(&p)?;
    let (kind, name) = match targets.as_slice() {
        [one] => one.clone(),
        _ => return Err(ParseError::error("patch takes exactly one resource")),
    };
    Ok(Command::Patch {
        kind,
        name,
        patch,
        patch_type,
        namespace: p.namespace(),
    })
}

fn parse_wait(words: &[String]) -> Result<Command, ParseError> {
    match words {
        [d] => parse_duration(d)
            .map(|duration| Command::Wait { duration })
            .map_err(ParseError::error),
        _ => Err(ParseError::error(
            "wait takes one duration, e.g. \"wait 30s\" or \"wait 1m30s\"",
        )),
    }
}

fn parse_node(words: &[String]) -> Result<Command, ParseError> {
    let usage = || ParseError::error("usage: node fail NAME | node recover NAME | node add [NAME]");
    match words {
        [v, n] if v == "fail" => Ok(Command::NodeFail { name: n.clone() }),
        [v, n] if v == "recover" => Ok(Command::NodeRecover { name: n.clone() }),
        [v] if v == "add" => Ok(Command::NodeAdd { name: None }),
        [v, n] if v == "add" => Ok(Command::NodeAdd {
            name: Some(n.clone()),
        }),
        _ => Err(usage()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn tokenizer_follows_shell_quoting() {
        let cases: &[(&str, &[&str])] = &[
            ("get pods", &["get", "pods"]),
            ("  get   pods  ", &["get", "pods"]),
            (
                r#"patch deploy web -p '{"spec":{"replicas":2}}'"#,
                &["patch", "deploy", "web", "-p", r#"{"spec":{"replicas":2}}"#],
            ),
            (
                r#"label pod a "msg=hello world""#,
                &["label", "pod", "a", "msg=hello world"],
            ),
            (r#"a "x\"y" 'it''s'"#, &["a", "x\"y", "its"]),
            (r#"a\ b c"#, &["a b", "c"]),
            (r#"a "\n""#, &["a", "\\n"]),
            ("a '' b", &["a", "", "b"]),
            ("get pods # all of them", &["get", "pods"]),
            ("get a#b", &["get", "a#b"]),
        ];
        for (line, want) in cases {
            assert_eq!(tokenize(line).unwrap(), s(want), "{line}");
        }
        for bad in ["get 'pods", "get \"pods", "get pods\\"] {
            assert!(tokenize(bad).is_err(), "{bad}");
        }
    }

    fn err(line: &str) -> String {
        parse(line).unwrap_err().message
    }

    #[test]
    fn errors_are_worded_as_kubectl_words_them() {
        // Each expected text was checked against kubectl v1.37 (client-side errors).
        let cases: &[(&str, &str)] = &[
            ("foo", "error: unknown command \"foo\" for \"kubectl\""),
            ("get pods --foo", "error: unknown flag: --foo\nSee 'kubectl get --help' for usage."),
            ("get pods -x", "error: unknown shorthand flag: 'x' in -x\nSee 'kubectl get --help' for usage."),
            ("get pods -n", "error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage."),
            ("get pods --namespace", "error: flag needs an argument: --namespace\nSee 'kubectl get --help' for usage."),
            ("get pod/", "error: arguments in resource/name form must have a single resource and name"),
            ("get pods --show-labels=x", "error: invalid argument \"x\" for \"--show-labels\" flag: strconv.ParseBool: parsing \"x\": invalid syntax\nSee 'kubectl get --help' for usage."),
            ("get pods web -l app=x", "error: name cannot be provided when a selector is specified"),
            ("create deployment web", "error: required flag(s) \"image\" not set"),
            ("create deployment a b --image=x", "error: exactly one NAME is required, got 2\nSee 'kubectl create deployment -h' for help and examples"),
            ("create deployment web --image=nginx --replicas=x", "error: invalid argument \"x\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'kubectl create deployment --help' for usage."),
            ("create deployment web --image=nginx --port=abc", "error: invalid argument \"abc\" for \"--port\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax\nSee 'kubectl create deployment --help' for usage."),
            ("create service clusterip web", "error: at least one tcp port specifier must be provided"),
            ("create service nodeport web --tcp=abc", "error: strconv.ParseUint: parsing \"abc\": invalid syntax"),
            ("create service nodeport", "error: exactly one NAME is required, got 0\nSee 'kubectl create service nodeport -h' for help and examples"),
            ("create service nodeport a --tcp=80 --foo", "error: unknown flag: --foo\nSee 'kubectl create service nodeport --help' for usage."),
            ("create service externalname a", "error: required flag(s) \"external-name\" not set"),
            ("create service foo web", "error: unknown command \"foo web\"\nSee 'kubectl create service -h' for help and examples"),
            ("create namespace", "error: exactly one NAME is required, got 0\nSee 'kubectl create namespace -h' for help and examples"),
            ("create", "error: must specify one of -f and -k"),
            ("create foo", "error: Unexpected args: [foo]\nSee 'kubectl create -h' for help and examples"),
            ("apply", "error: must specify one of -f and -k"),
            ("scale deployment web", "error: required flag(s) \"replicas\" not set"),
            ("scale deploy a --replicas=-1", "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"),
            ("scale deployment --replicas=2", "error: resource(s) were provided, but no name was specified"),
            ("rollout foo", "error: unknown command \"foo\"\nSee 'kubectl rollout -h' for help and examples"),
            ("rollout status", "error: required resource not specified"),
            ("rollout undo a/b/c", "error: arguments in resource/name form may not have more than one slash"),
            ("rollout undo deployment/a --to-revision=x", "error: invalid argument \"x\" for \"--to-revision\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'kubectl rollout undo --help' for usage."),
            ("label pods a", "error: at least one label update is required"),
            ("annotate pods a", "error: at least one annotation update is required"),
            ("label", "error: one or more resources must be specified as <resource> <name> or <resource>/<name>"),
            ("delete pod a --all", "error: name cannot be provided when a selector is specified"),
            ("delete pod a --grace-period=x", "error: invalid argument \"x\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'kubectl delete --help' for usage."),
            ("delete pod a --wait=x", "error: invalid argument \"x\" for \"--wait\" flag: strconv.ParseBool: parsing \"x\": invalid syntax\nSee 'kubectl delete --help' for usage."),
            ("drain", "error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples"),
            ("drain a --foo", "error: unknown flag: --foo\nSee 'kubectl drain --help' for usage."),
            ("uncordon", "error: USAGE: uncordon NODE [flags]\nSee 'kubectl uncordon -h' for help and examples"),
            ("patch deploy a", "error: must specify --patch or --patch-file containing the contents of the patch"),
            ("patch deploy a -p", "error: flag needs an argument: 'p' in -p\nSee 'kubectl patch --help' for usage."),
            ("patch deploy a --type=foo -p {}", "error: --type must be one of [json merge strategic], not \"foo\""),
            ("get foo", "error: the server doesn't have a resource type \"foo\""),
        ];
        for (line, want) in cases {
            assert_eq!(&err(line), want, "{line}");
        }
    }

    #[test]
    fn get_reads_resource_arguments_like_the_resource_builder() {
        let Command::Get(g) = parse("kubectl get po").unwrap() else {
            panic!()
        };
        assert_eq!(g.resources.items, vec![(Kind::Pod, vec![])]);
        assert!(!g.resources.show_kind);

        let Command::Get(g) = parse("get deploy web api -n prod -o wide --show-labels").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            g.resources.items,
            vec![(Kind::Deployment, s(&["web", "api"]))]
        );
        assert_eq!(g.namespace.as_deref(), Some("prod"));
        assert_eq!(g.output, OutputFormat::Wide);
        assert!(g.show_labels);

        let Command::Get(g) = parse("get pod/a svc/b pod/c -A").unwrap() else {
            panic!()
        };
        assert_eq!(
            g.resources.items,
            vec![(Kind::Pod, s(&["a", "c"])), (Kind::Service, s(&["b"]))]
        );
        assert!(g.resources.show_kind && g.all_namespaces);

        let Command::Get(g) = parse("get pods,svc -l app=web -oyaml").unwrap() else {
            panic!()
        };
        assert_eq!(g.selector.as_deref(), Some("app=web"));
        assert_eq!(g.output, OutputFormat::Yaml);
        assert!(g.resources.show_kind);

        let Command::Get(g) = parse("get all").unwrap() else {
            panic!()
        };
        assert_eq!(
            g.resources
                .items
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>(),
            ALL_CATEGORY.to_vec()
        );
        assert!(g.resources.show_kind);

        let Command::Get(g) = parse("get ns -nkube-system").unwrap() else {
            panic!()
        };
        assert_eq!(g.namespace.as_deref(), Some("kube-system"));
        let Command::Get(g) = parse("get ns -n=kube-system").unwrap() else {
            panic!()
        };
        assert_eq!(g.namespace.as_deref(), Some("kube-system"));
    }

    #[test]
    fn imperative_creates_parse_their_flags() {
        assert_eq!(
            parse("create deployment web --image=nginx --replicas 3 --port=80").unwrap(),
            Command::CreateDeployment {
                name: "web".into(),
                images: s(&["nginx"]),
                replicas: 3,
                port: Some(80),
                options: CreateOptions::default(),
            }
        );
        assert_eq!(
            parse("create svc nodeport web --tcp=80:8080,443:8443 --node-port=30080 -n prod --dry-run=client -o yaml").unwrap(),
            Command::CreateService {
                type_: ServiceTypeArg::NodePort,
                name: "web".into(),
                tcp: s(&["80:8080", "443:8443"]),
                node_port: Some(30080),
                external_name: None,
                cluster_ip: None,
                options: CreateOptions {
                    namespace: Some("prod".into()),
                    dry_run: true,
                    output: Some(OutputFormat::Yaml)
                },
            }
        );
        assert_eq!(
            parse("create ns prod").unwrap(),
            Command::CreateNamespace {
                name: "prod".into(),
                options: CreateOptions::default()
            }
        );
        assert!(matches!(
            parse("create service clusterip h --clusterip=None").unwrap(),
            Command::CreateService { cluster_ip: Some(ref c), .. } if c == "None"
        ));
        assert_eq!(
            err("create service clusterip web --tcp=80 --node-port=30000"),
            "error: unknown flag: --node-port\nSee 'kubectl create service clusterip --help' for usage."
        );
    }

    #[test]
    fn workload_verbs_parse() {
        assert_eq!(
            parse("scale deploy/web rs/x --replicas=0").unwrap(),
            Command::Scale {
                targets: vec![
                    (Kind::Deployment, "web".into()),
                    (Kind::ReplicaSet, "x".into())
                ],
                replicas: 0,
                namespace: None
            }
        );
        assert_eq!(
            parse("set image deployment/web nginx=nginx:1.27").unwrap(),
            Command::SetImage {
                targets: vec![(Kind::Deployment, "web".into())],
                images: vec![("nginx".into(), "nginx:1.27".into())],
                namespace: None
            }
        );
        assert_eq!(
            parse("rollout undo deployment web --to-revision=2").unwrap(),
            Command::Rollout {
                action: RolloutAction::Undo { to_revision: 2 },
                targets: vec![(Kind::Deployment, "web".into())],
                namespace: None
            }
        );
        assert_eq!(
            parse("label pods web app=v2 tier- --overwrite").unwrap(),
            Command::Label {
                annotate: false,
                resources: Resources {
                    items: vec![(Kind::Pod, s(&["web"]))],
                    show_kind: false
                },
                updates: vec![
                    LabelUpdate::Set("app".into(), "v2".into()),
                    LabelUpdate::Remove("tier".into())
                ],
                overwrite: true,
                selector: None,
                all: false,
                namespace: None
            }
        );
        assert_eq!(
            parse("delete pod a b --grace-period=0 --force --wait=false").unwrap(),
            Command::Delete {
                resources: Resources {
                    items: vec![(Kind::Pod, s(&["a", "b"]))],
                    show_kind: false
                },
                selector: None,
                all: false,
                namespace: None,
                options: DeleteOptions {
                    grace_period: Some(0),
                    force: true,
                    now: false,
                    wait: false,
                    ignore_not_found: false
                }
            }
        );
        assert!(matches!(
            parse("delete -f - ").unwrap(),
            Command::DeleteFromFiles { ref files, .. } if files == &s(&["-"])
        ));
        assert_eq!(
            parse("drain node-1 --ignore-daemonsets --delete-emptydir-data").unwrap(),
            Command::Drain {
                node: "node-1".into(),
                ignore_daemonsets: true,
                delete_emptydir_data: true,
                force: false,
                grace_period: None
            }
        );
        assert_eq!(
            parse(r#"patch svc web --type=merge -p '{"spec":{"type":"NodePort"}}'"#).unwrap(),
            Command::Patch {
                kind: Kind::Service,
                name: "web".into(),
                patch: r#"{"spec":{"type":"NodePort"}}"#.into(),
                patch_type: PatchType::Merge,
                namespace: None
            }
        );
    }

    #[test]
    fn playground_and_extension_verbs_are_passed_through() {
        assert_eq!(
            parse("wait 1m30s").unwrap(),
            Command::Wait { duration: 90_000 }
        );
        assert_eq!(
            parse("node fail node-2").unwrap(),
            Command::NodeFail {
                name: "node-2".into()
            }
        );
        assert_eq!(parse("node add").unwrap(), Command::NodeAdd { name: None });
        assert_eq!(
            parse("kubectl exec client -- curl -s web:80").unwrap(),
            Command::Extension {
                verb: "exec".into(),
                args: s(&["client", "--", "curl", "-s", "web:80"])
            }
        );
        assert_eq!(parse("").unwrap(), Command::Empty);
        assert_eq!(parse("# just a comment").unwrap(), Command::Empty);
        assert!(parse("wait soon").is_err());
    }

    proptest::proptest! {
        #[test]
        fn no_line_panics(line in "\\PC{0,80}") {
            let _ = parse(&line);
        }

        #[test]
        fn no_kubectl_like_line_panics(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "get", "create", "deployment", "service", "nodeport", "svc", "pods", "po/a",
                    "-n", "-A", "-o", "--", "-", "-l", "a=b", "x-", "--replicas=3", "--image",
                    "=", "/", "--tcp=80:8080", "rollout", "undo", "delete", "label", "-f", "all",
                    "expose", "deploy/web", "--port", "'", "\"", "\\", "drain", "set", "image",
                    "-nfoo", "-xyz", "--to-revision", "patch", "-p", "{}", "wait", "node", "fail",
                ]),
                0..8,
            )
        ) {
            let _ = parse(&words.join(" "));
        }
    }
}
