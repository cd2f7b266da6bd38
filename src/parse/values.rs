//! The user's values: files given with `-f` (parsed with spans) and `--set` arguments, and
//! where in them a fix goes (the values line to change).

use crate::error::{Error, Result};
use crate::parse::yaml::{self, Node};
use std::path::{Path, PathBuf};

/// A values file, parsed with line numbers.
#[derive(Debug, Clone)]
pub struct ValuesFile {
    pub path: PathBuf,
    pub text: String,
    pub root: Node,
    /// Keys given twice in one mapping: helm keeps the later one (VALUES-004).
    pub duplicates: Vec<yaml::DuplicateKey>,
    /// `# helm-harden: ignore ...` comments, checked when the file is read.
    pub suppressions: Vec<crate::config::InlineSuppression>,
}

impl ValuesFile {
    /// Reads and parses a values file. A file that does not parse, or whose top level is a list
    /// or a scalar, is an error naming the file and line (helm would refuse it too).
    pub fn load(path: &Path) -> Result<ValuesFile> {
        let bytes = crate::parse::input::read_regular(
            path,
            crate::parse::input::MAX_VALUES_BYTES,
            "values file",
        )?;
        Self::parse(path, crate::parse::input::utf8_text(path, bytes, "values file is not UTF-8")?)
    }

    pub fn parse(path: &Path, text: String) -> Result<ValuesFile> {
        let parsed = yaml::parse_one(&text, 1)
            .map_err(|e| Error::at(path, e.line, e.col, format!("invalid YAML: {}", e.message)))?;
        match parsed.root.value {
            yaml::Value::Map(_) | yaml::Value::Null => {}
            _ => {
                return Err(Error::at(
                    path,
                    parsed.root.line().max(1),
                    1,
                    "values must be a mapping of keys, not a list or a scalar",
                ))
            }
        }
        let suppressions = crate::config::inline_suppressions(path, &text)?;
        Ok(ValuesFile {
            path: path.to_path_buf(),
            text,
            root: parsed.root,
            duplicates: parsed.duplicates,
            suppressions,
        })
    }
}

/// One `--set`/`--set-string` key, split into path segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetKey {
    pub segments: Vec<String>,
    /// The flag as the user wrote it, e.g. `--set gloo.deployment.replicas=1`.
    pub flag: String,
}

/// Splits helm `--set` arguments (`a.b=1,c.d[0].e=x`, `\,` and `\.` escape) into keys.
pub fn parse_set(flag: &str, arg: &str) -> Result<Vec<SetKey>> {
    let mut keys = Vec::new();
    for pair in split_unescaped(arg, ',') {
        if pair.is_empty() {
            continue;
        }
        // Errors name the key only, never the whole argument: its other values may be secrets
        // (`--set password=...,broken`), and errors end up in CI logs.
        let Some(eq) = find_unescaped(&pair, '=') else {
            return Err(Error::new(format!("{flag} {pair}: expected key=value (missing '=')")));
        };
        let key = &pair[..eq];
        if key.is_empty() {
            return Err(Error::new(format!(
                "{flag}: empty key before '=' in one of its key=value pairs"
            )));
        }
        let mut segments = Vec::new();
        for seg in split_unescaped(key, '.') {
            // `list[0]` addresses an element: keep the list name and the index as segments.
            let mut rest = seg.as_str();
            if let Some(open) = rest.find('[') {
                segments.push(unescape(&rest[..open]));
                rest = &rest[open..];
                while let Some(stripped) = rest.strip_prefix('[') {
                    let Some(close) = stripped.find(']') else {
                        return Err(Error::new(format!("{flag} {key}: unclosed '[' in the key")));
                    };
                    segments.push(stripped[..close].to_string());
                    rest = &stripped[close + 1..];
                }
            } else {
                segments.push(unescape(rest));
            }
        }
        keys.push(SetKey { segments, flag: format!("{flag} {pair}") });
    }
    Ok(keys)
}

/// The values of a `--set` argument, to keep out of error messages: for each `key=value` pair
/// (`a=x,b={y,z}`) the text after its first unescaped `=`, and for a list each element, as
/// written and unescaped (helm quotes the unescaped value). Short values are left out unless
/// their key names a secret: replacing every `true`, `gloo` or `http` in a message would garble
/// it (`gloo/templates/...` is where helm says the error is) and hide nothing; a secret passed
/// from CI is long, or sits under a key like `password` or `apiKey`.
pub fn set_values(arg: &str) -> Vec<String> {
    const SECRET_KEYS: [&str; 6] = ["pass", "secret", "token", "key", "cred", "auth"];
    let mut values: Vec<String> = Vec::new();
    for pair in split_outside_braces(arg) {
        let Some(eq) = find_unescaped(&pair, '=') else { continue };
        let key = pair[..eq].rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
        let shortest = if SECRET_KEYS.iter().any(|s| key.contains(s)) { 1 } else { 8 };
        let value = &pair[eq + 1..];
        let mut pieces = vec![value.to_string()];
        if let Some(list) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
            pieces.extend(split_unescaped(list, ','));
        }
        for piece in pieces {
            let unescaped = unescape_all(&piece);
            for v in [piece, unescaped] {
                if v.chars().count() >= shortest && !values.contains(&v) {
                    values.push(v);
                }
            }
        }
    }
    values
}

/// `arg` split at the unescaped commas outside `{...}` lists, escapes kept as written.
fn split_outside_braces(arg: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let (mut escaped, mut depth) = (false, 0usize);
    for c in arg.chars() {
        let part = parts.last_mut().expect("non-empty");
        match c {
            _ if escaped => {
                part.push(c);
                escaped = false;
                continue;
            }
            '\\' => escaped = true,
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        part.push(c);
    }
    parts
}

/// `s` without its escaping backslashes (`\\,` is `,`), as helm reads a value.
fn unescape_all(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        out.push(c);
        escaped = false;
    }
    out
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            parts.last_mut().expect("non-empty").push('\\');
            parts.last_mut().expect("non-empty").push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(String::new());
        } else {
            parts.last_mut().expect("non-empty").push(c);
        }
    }
    parts
}

fn find_unescaped(s: &str, target: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == target {
            return Some(i);
        }
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("\\.", ".").replace("\\,", ",").replace("\\=", "=")
}

/// Where a change to a values path goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A values file sets the key here (`exact`), or this is the line of the deepest parent
    /// key present, under which the new key belongs.
    File { path: PathBuf, line: Option<usize>, exact: bool },
    /// A `--set` argument sets it (it overrides every file).
    Set { flag: String },
    /// No values file was given.
    Nowhere,
}

/// Finds where `path` (values key segments) is set or belongs, as helm merges: `--set` beats
/// every file, and among files the last that sets the key wins. A key not set anywhere belongs
/// under its deepest parent present in the last file.
pub fn locate(path: &[&str], files: &[ValuesFile], sets: &[SetKey]) -> Location {
    if let Some(set) = set_for(path, sets) {
        return set;
    }
    if let Some((file, entry)) = last_setting(path, files) {
        return Location::File { path: file.path.clone(), line: Some(entry.line()), exact: true };
    }
    match files.last() {
        Some(last) => Location::File {
            path: last.path.clone(),
            line: deepest_parent_line(&last.root, path),
            exact: false,
        },
        None => Location::Nowhere,
    }
}

/// Where a fix that sets `value` at `path` goes. For a mapping value, the file that decides a
/// key of it the user sets to something else (else one they already set right: the fix's other
/// keys go beside it), at the line of `path`'s own key there (README's "Where the fix goes":
/// the line that sets the key); else as [`locate`] finds `path`.
pub fn locate_fix(
    path: &[&str],
    value: &serde_json::Value,
    files: &[ValuesFile],
    sets: &[SetKey],
) -> Location {
    let mut set_right = None;
    for (leaf, wanted) in leaves(value) {
        let mut full: Vec<&str> = path.to_vec();
        full.extend(leaf.iter().map(String::as_str));
        // A `--set` value is a string until helm types it: count it as needing a look.
        if let Some(set) = set_for(&full, sets) {
            return set;
        }
        if let Some((file, entry)) = last_setting(&full, files) {
            let line = exact_line(&file.root, path).unwrap_or_else(|| entry.line());
            let location =
                Location::File { path: file.path.clone(), line: Some(line), exact: true };
            if !sets_value(&entry.value, wanted) {
                return location;
            }
            set_right.get_or_insert(location);
        }
    }
    set_right.unwrap_or_else(|| locate(path, files, sets))
}

/// Whether `node` sets what `wanted` says, as helm merges values: a mapping sets every key of
/// `wanted` (keys besides them may stay); anything else is equal.
pub fn sets_value(node: &Node, wanted: &serde_json::Value) -> bool {
    match wanted {
        serde_json::Value::Object(keys) => {
            keys.iter().all(|(k, v)| node.get(k).is_some_and(|n| sets_value(n, v)))
        }
        _ => node.to_json() == *wanted,
    }
}

/// Merges `from` into `into` as helm merges values files: mappings key by key, anything else
/// replaced (a null included: helm then drops the key).
pub fn merge(into: &mut serde_json::Value, from: serde_json::Value) {
    match (into, from) {
        (serde_json::Value::Object(into), serde_json::Value::Object(from)) => {
            for (k, v) in from {
                merge(into.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (into, from) => *into = from,
    }
}

/// Whether a values file or a `--set` argument sets the key at `path`.
pub fn is_set(path: &[&str], files: &[ValuesFile], sets: &[SetKey]) -> bool {
    set_for(path, sets).is_some() || last_setting(path, files).is_some()
}

/// The `--set` argument that decides `path`, the last one given.
fn set_for(path: &[&str], sets: &[SetKey]) -> Option<Location> {
    sets.iter()
        .rev()
        .find(|s| overlaps(&s.segments, path))
        .map(|s| Location::Set { flag: s.flag.clone() })
}

/// The last file that sets the key at `path`, and its entry there.
fn last_setting<'f>(
    path: &[&str],
    files: &'f [ValuesFile],
) -> Option<(&'f ValuesFile, &'f crate::parse::yaml::Entry)> {
    files.iter().rev().find_map(|file| entry_at(&file.root, path).map(|entry| (file, entry)))
}

fn entry_at<'a>(root: &'a Node, path: &[&str]) -> Option<&'a crate::parse::yaml::Entry> {
    let (last, parents) = path.split_last()?;
    parents.iter().try_fold(root, |node, key| node.get(key))?.entry(last)
}

/// The leaves below a mapping value, with their key paths (none for a scalar or a list).
fn leaves(value: &serde_json::Value) -> Vec<(Vec<String>, &serde_json::Value)> {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| {
                let below = leaves(v);
                if below.is_empty() {
                    vec![(vec![k.clone()], v)]
                } else {
                    below
                        .into_iter()
                        .map(|(mut p, leaf)| {
                            p.insert(0, k.clone());
                            (p, leaf)
                        })
                        .collect()
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One path is a prefix of the other: setting either touches the other.
fn overlaps(set: &[String], path: &[&str]) -> bool {
    set.iter().zip(path).all(|(a, b)| a == b)
}

/// Line of the key at `path`, when the file sets it.
pub fn exact_line(root: &Node, path: &[&str]) -> Option<usize> {
    entry_at(root, path).map(crate::parse::yaml::Entry::line)
}

/// Line of the deepest key along `path` that the file has (None: not even the first).
pub fn deepest_parent_line(root: &Node, path: &[&str]) -> Option<usize> {
    let mut node = root;
    let mut line = None;
    for seg in path {
        match node.entry(seg) {
            Some(entry) => {
                line = Some(entry.line());
                node = &entry.value;
            }
            None => break,
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_values_are_each_value_and_list_element_as_written_and_unescaped() {
        assert_eq!(set_values("token=ghp_SECRET123,replicas=2"), ["ghp_SECRET123"]);
        assert_eq!(
            set_values("a.b=x\\,secret1,c\\=d=later=part"),
            ["x\\,secret1", "x,secret1", "later=part"]
        );
        // Short words stay (`gloo` is in helm's `gloo/templates/...`), unless the key names a secret.
        assert!(set_values("namespace=gloo,enabled=true,scheme=http").is_empty());
        assert_eq!(set_values("db.password=hunter,apiKey=abc"), ["hunter", "abc"]);
        assert_eq!(
            set_values("hosts={alpha.example,beta.example},n=1"),
            ["{alpha.example,beta.example}", "alpha.example", "beta.example"]
        );
        assert!(set_values("no-equals-sign").is_empty());
    }

    fn file(name: &str, text: &str) -> ValuesFile {
        ValuesFile::parse(Path::new(name), text.to_string()).unwrap()
    }

    fn loc(path: &str, files: &[ValuesFile], sets: &[SetKey]) -> Location {
        locate(&path.split('.').collect::<Vec<_>>(), files, sets)
    }

    fn at(name: &str, line: usize, exact: bool) -> Location {
        Location::File { path: name.into(), line: Some(line), exact }
    }

    #[test]
    fn the_last_file_that_sets_a_key_wins() {
        let a = file("a.yaml", "gateway:\n  validation:\n    allowWarnings: true\n");
        let b = file(
            "b.yaml",
            "# comment\ngateway:\n  validation:\n    # why\n    allowWarnings: true\n",
        );
        let c = file("c.yaml", "settings: {}\n");
        assert_eq!(
            loc("gateway.validation.allowWarnings", &[a.clone(), b.clone()], &[]),
            at("b.yaml", 5, true)
        );
        assert_eq!(
            loc("gateway.validation.allowWarnings", &[b, a.clone()], &[]),
            at("a.yaml", 3, true)
        );
        assert_eq!(
            loc("gateway.validation.allowWarnings", &[a, c], &[]),
            at("a.yaml", 3, true),
            "c does not set it"
        );
    }

    #[test]
    fn a_missing_key_belongs_under_its_deepest_parent_in_the_last_file() {
        let a = file("a.yaml", "gateway:\n  validation:\n    enabled: true\n");
        assert_eq!(
            loc("gateway.validation.allowWarnings", std::slice::from_ref(&a), &[]),
            at("a.yaml", 2, false)
        );
        assert_eq!(
            loc("settings.x", &[a], &[]),
            Location::File { path: "a.yaml".into(), line: None, exact: false }
        );
        assert_eq!(loc("settings.x", &[], &[]), Location::Nowhere);
    }

    #[test]
    fn flow_mappings_anchors_and_aliases() {
        let a = file(
            "a.yaml",
            "base: &b {probes: false}\ngatewayProxies:\n  gatewayProxy: {podTemplate: *b}\n",
        );
        assert_eq!(
            loc("gatewayProxies.gatewayProxy.podTemplate", std::slice::from_ref(&a), &[]),
            at("a.yaml", 3, true)
        );
        // The aliased key lives where the anchor was defined.
        assert_eq!(
            loc("gatewayProxies.gatewayProxy.podTemplate.probes", &[a], &[]),
            at("a.yaml", 1, true)
        );
    }

    #[test]
    /// Issue 15 (2): the file that sets a key of the fix wrong decides, and the line is the
    /// fix's own key there (`stats:`), not one of its keys: "change at" names the key's line.
    fn a_mapping_fix_points_at_its_own_key_in_the_file_that_sets_it_wrong() {
        let fix = serde_json::json!({"enabled": true, "routePrefixRewrite": "/stats/prometheus"});
        let path = ["gatewayProxies", "gatewayProxy", "stats"];
        let right =
            file("a.yaml", "gatewayProxies:\n  gatewayProxy:\n    stats:\n      enabled: true\n");
        let wrong = file(
            "b.yaml",
            "gatewayProxies:\n  gatewayProxy:\n    stats:\n      routePrefixRewrite: /metrics\n",
        );
        assert_eq!(
            locate_fix(&path, &fix, &[right.clone(), wrong.clone()], &[]),
            at("b.yaml", 3, true),
            "b sets a key of the fix to another value"
        );
        assert_eq!(
            locate_fix(&path, &fix, &[wrong.clone(), right.clone()], &[]),
            at("b.yaml", 3, true),
            "whichever file comes last"
        );
        // Only keys set right: that file, the missing keys go beside them.
        assert_eq!(
            locate_fix(&path, &fix, std::slice::from_ref(&right), &[]),
            at("a.yaml", 3, true)
        );
        // No key of it set: its own line, or its deepest parent.
        let none = file("c.yaml", "gatewayProxies:\n  gatewayProxy:\n    stats: {}\n");
        assert_eq!(
            locate_fix(&path, &fix, std::slice::from_ref(&none), &[]),
            at("c.yaml", 3, true)
        );
        assert_eq!(
            locate_fix(&path, &serde_json::json!(true), &[none], &[]),
            at("c.yaml", 3, true),
            "a scalar fix: its own line"
        );
    }

    #[test]
    fn set_beats_files() {
        let a = file("a.yaml", "gateway:\n  validation:\n    allowWarnings: true\n");
        let sets = parse_set("--set", "gateway.validation.allowWarnings=true,x=1").unwrap();
        assert_eq!(
            loc("gateway.validation.allowWarnings", std::slice::from_ref(&a), &sets),
            Location::Set { flag: "--set gateway.validation.allowWarnings=true".into() }
        );
        // A --set below the fixed key also decides it.
        let sets =
            parse_set("--set", "gatewayProxies.gatewayProxy.podTemplate.probes=false").unwrap();
        assert!(matches!(
            loc("gatewayProxies.gatewayProxy.podTemplate", &[a], &sets),
            Location::Set { .. }
        ));
    }

    #[test]
    fn set_syntax() {
        let keys = parse_set("--set", r"a\.b.c=1,list[0].name=x,d=e\,f").unwrap();
        assert_eq!(keys[0].segments, ["a.b", "c"]);
        assert_eq!(keys[1].segments, ["list", "0", "name"]);
        assert_eq!(keys.len(), 3);
        assert!(parse_set("--set", "novalue").unwrap_err().message().contains("missing '='"));
        assert!(parse_set("--set", "=1").is_err());
    }

    #[test]
    fn bad_values_files_name_file_and_line() {
        let err = ValuesFile::parse(Path::new("v.yaml"), "a: 1\nb: [1,\n".into()).unwrap_err();
        assert!(err.message().starts_with("v.yaml:"), "{err}");
        let err = ValuesFile::parse(Path::new("v.yaml"), "- a\n- b\n".into()).unwrap_err();
        assert_eq!(
            err.message(),
            "v.yaml:1:1: values must be a mapping of keys, not a list or a scalar"
        );
        assert!(ValuesFile::parse(Path::new("v.yaml"), "# only a comment\n".into()).is_ok());
    }
}
