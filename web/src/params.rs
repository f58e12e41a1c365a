//! URL parameters of the page (for embedding in training pages):
//! `lesson`, `step`, `embed=1`, `controls=`, `theme=light|dark`, `seed`, `speed`,
//! `proxy=iptables|ipvs|nftables`. A bad value never stops the page: it is ignored and
//! named in a notice the page shows.

use kubeplay_core::proxy::ProxyMode;
use std::collections::BTreeSet;

/// A panel of the page that `controls=` can show or hide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Panel {
    /// The control bar (replicas, image, traffic, …).
    Controls,
    /// The kubectl console.
    Console,
    /// The YAML editor.
    Yaml,
    /// The EndpointSlice table.
    Endpoints,
    /// A node's kube-proxy rules.
    Rules,
    /// The events log.
    Events,
    /// Requests per pod over time.
    Chart,
    /// The lesson sidebar.
    Lesson,
    /// Pause / play / step / speed.
    Time,
}

impl Panel {
    /// Every panel, in page order.
    pub const ALL: [Panel; 9] = [
        Panel::Controls,
        Panel::Time,
        Panel::Console,
        Panel::Yaml,
        Panel::Endpoints,
        Panel::Rules,
        Panel::Events,
        Panel::Chart,
        Panel::Lesson,
    ];

    /// The word used in `controls=`.
    pub fn word(self) -> &'static str {
        match self {
            Panel::Controls => "controls",
            Panel::Console => "console",
            Panel::Yaml => "yaml",
            Panel::Endpoints => "endpoints",
            Panel::Rules => "rules",
            Panel::Events => "events",
            Panel::Chart => "chart",
            Panel::Lesson => "lesson",
            Panel::Time => "time",
        }
    }

    fn from_word(w: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.word() == w)
    }
}

/// Colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Dark text on light.
    Light,
    /// Light text on dark.
    Dark,
}

/// Speeds the time control offers (multiples of real time).
pub const SPEEDS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0];

/// Lowest and highest speed accepted.
pub const SPEED_RANGE: (f64, f64) = (0.25, 20.0);

/// The parsed parameters; `None` / defaults for what the URL does not say.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Params {
    /// Lesson to open.
    pub lesson: Option<String>,
    /// Step of that lesson (1-based).
    pub step: Option<u32>,
    /// Only the diagram and the lesson's controls.
    pub embed: bool,
    /// Panels to show (None: the default set for the mode).
    pub panels: Option<BTreeSet<Panel>>,
    /// Theme (None: follow the system).
    pub theme: Option<Theme>,
    /// RNG seed.
    pub seed: Option<u64>,
    /// Initial speed.
    pub speed: Option<f64>,
    /// kube-proxy mode.
    pub proxy: Option<ProxyMode>,
    /// Record each frame's work in `window.kubeplayFrameTimes` (for `cargo xtask measure`).
    pub measure: bool,
}

impl Params {
    /// Whether `panel` shows.
    pub fn shows(&self, panel: Panel) -> bool {
        match &self.panels {
            Some(set) => set.contains(&panel),
            None if self.embed => matches!(panel, Panel::Lesson | Panel::Time | Panel::Controls),
            None => true,
        }
    }
}

/// Parses a query string (with or without the leading `?`). Returns the parameters and one
/// notice per ignored value, worded for the page.
pub fn parse(query: &str) -> (Params, Vec<String>) {
    let mut p = Params::default();
    let mut notices = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    for pair in query.split('&').filter(|s| !s.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key);
        let value = percent_decode(raw);
        let mut bad = |why: &str| {
            notices.push(format!(
                "Ignored URL parameter {key}={value:?}: {why}.",
                value = truncate(&value, 40)
            ))
        };
        match key.as_str() {
            "lesson" => {
                if !value.is_empty()
                    && value.len() <= 64
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    p.lesson = Some(value);
                } else {
                    bad("a lesson id is letters, digits, '-' and '_'");
                }
            }
            "step" => match value.parse::<u32>() {
                Ok(n) if n >= 1 => p.step = Some(n),
                _ => bad("step is a number from 1"),
            },
            "embed" => match value.as_str() {
                "1" | "true" => p.embed = true,
                "0" | "false" => p.embed = false,
                _ => bad("embed is 1 or 0"),
            },
            "controls" => {
                let mut set = BTreeSet::new();
                for w in value.split(',').filter(|w| !w.is_empty()) {
                    match Panel::from_word(w) {
                        Some(panel) => {
                            set.insert(panel);
                        }
                        None => notices.push(format!(
                            "Ignored unknown panel {w:?} in controls= (known: {}).",
                            Panel::ALL.map(Panel::word).join(", ")
                        )),
                    }
                }
                p.panels = Some(set);
            }
            "theme" => match value.as_str() {
                "light" => p.theme = Some(Theme::Light),
                "dark" => p.theme = Some(Theme::Dark),
                _ => bad("theme is light or dark"),
            },
            "seed" => match value.parse::<u64>() {
                Ok(n) => p.seed = Some(n),
                Err(_) => bad("seed is a whole number"),
            },
            "speed" => match value.parse::<f64>() {
                Ok(s) if s.is_finite() && (SPEED_RANGE.0..=SPEED_RANGE.1).contains(&s) => {
                    p.speed = Some(s)
                }
                _ => bad("speed is a number from 0.25 to 20"),
            },
            "measure" => p.measure = value == "1",
            "proxy" => match proxy_mode(&value) {
                Some(m) => p.proxy = Some(m),
                None => bad("proxy is iptables, ipvs or nftables"),
            },
            _ => notices.push(format!(
                "Ignored unknown URL parameter {:?}.",
                truncate(&key, 40)
            )),
        }
    }
    (p, notices)
}

/// `iptables` / `ipvs` / `nftables`.
pub fn proxy_mode(word: &str) -> Option<ProxyMode> {
    match word {
        "iptables" => Some(ProxyMode::Iptables),
        "ipvs" => Some(ProxyMode::Ipvs),
        "nftables" => Some(ProxyMode::Nftables),
        _ => None,
    }
}

/// The word for a proxy mode.
pub fn proxy_word(mode: ProxyMode) -> &'static str {
    match mode {
        ProxyMode::Iptables => "iptables",
        ProxyMode::Ipvs => "ipvs",
        ProxyMode::Nftables => "nftables",
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// `%XX` and `+` decoding; invalid escapes are kept as typed, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes everything but unreserved characters as `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn good_parameters() {
        let (p, notices) = parse(
            "?lesson=rolling-update&step=2&embed=1&controls=console,endpoints&theme=dark&seed=7&speed=0.5&proxy=ipvs",
        );
        assert_eq!(notices, Vec::<String>::new());
        assert_eq!(p.lesson.as_deref(), Some("rolling-update"));
        assert_eq!(p.step, Some(2));
        assert!(p.embed);
        assert!(p.shows(Panel::Console) && p.shows(Panel::Endpoints));
        assert!(!p.shows(Panel::Yaml));
        assert_eq!(p.theme, Some(Theme::Dark));
        assert_eq!((p.seed, p.speed), (Some(7), Some(0.5)));
        assert_eq!(p.proxy, Some(ProxyMode::Ipvs));
    }

    #[test]
    fn bad_parameters_are_named_and_ignored() {
        let cases = [
            ("speed=100", "speed is a number from 0.25 to 20"),
            ("speed=NaN", "speed is a number from 0.25 to 20"),
            ("seed=-1", "seed is a whole number"),
            ("proxy=userspace", "proxy is iptables, ipvs or nftables"),
            ("theme=pink", "theme is light or dark"),
            ("step=0", "step is a number from 1"),
            ("lesson=%3Cscript%3E", "a lesson id is letters"),
            ("embed=yes", "embed is 1 or 0"),
            ("colour=red", "Ignored unknown URL parameter \"colour\""),
            ("controls=console,bogus", "Ignored unknown panel \"bogus\""),
        ];
        for (query, why) in cases {
            let (p, notices) = parse(query);
            assert_eq!(notices.len(), 1, "{query}: {notices:?}");
            assert!(notices[0].contains(why), "{query}: {}", notices[0]);
            assert_eq!(p.speed, None);
            assert_eq!(p.proxy, None);
        }
    }

    #[test]
    fn embed_shows_only_the_lesson_controls_by_default() {
        let (p, _) = parse("embed=1");
        assert!(p.shows(Panel::Lesson) && p.shows(Panel::Controls));
        assert!(!p.shows(Panel::Console) && !p.shows(Panel::Rules));
        let (p, _) = parse("");
        assert!(Panel::ALL.iter().all(|panel| p.shows(*panel)));
    }

    #[test]
    fn percent_coding_round_trips() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        let s = "kubectl scale deployment web --replicas=5\n# ünïcode";
        assert_eq!(percent_decode(&percent_encode(s)), s);
    }

    proptest! {
        #[test]
        fn any_query_parses_without_panicking(q in ".{0,200}") {
            let _ = parse(&q);
        }

        #[test]
        fn any_text_round_trips(s in ".{0,100}") {
            prop_assert_eq!(percent_decode(&percent_encode(&s)), s);
        }
    }
}
