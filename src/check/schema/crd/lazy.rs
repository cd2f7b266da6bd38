//! A CRD's schemas read from its text as they are needed. A chart's CRDs are generated block
//! YAML of which a render touches a few paths: 1.17's Gateway CRD is 530 KB, and the Gateways a
//! render holds use a dozen of its fields. Parsing it whole took more CPU than everything else a
//! check does but helm, and on two cores that CPU delays the renders.
//!
//! So a CRD file is parsed as a skeleton (its `openAPIV3Schema` blocks cut out, each replaced by
//! a number that finds it again), and a schema node is built from its block of lines on first use: the keys at
//! the block's indentation are found by their indentation alone, the few a structural schema
//! reads (`type`, `enum`, `minimum`, ...) are parsed as a small YAML text, and `properties`
//! become a list of names with their blocks, each built when a check asks for it. Anything
//! this reading does not take for certain (a quoted key, an anchor, a tab) is parsed whole by
//! the YAML parser instead, so the result is the schema the full parse gives;
//! `tests::lazy_schemas_equal_the_full_parse_on_the_real_charts` holds it to that.

use super::{Structural, MAX_DEPTH};
use crate::parse::yaml::{self, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// A CRD file's text and where each of its lines is.
pub(super) struct Text {
    source: String,
    /// Byte range of each line, without its line break.
    lines: Vec<(usize, usize)>,
    /// Each line's indentation ([`content_indent`]), [`NO_CONTENT`] for a blank or comment line:
    /// finding a block's keys then looks at one number per line of the block.
    indents: Vec<u32>,
}

const NO_CONTENT: u32 = u32::MAX;

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Text({} lines)", self.lines.len())
    }
}

impl Text {
    fn new(text: String) -> Text {
        let mut lines = Vec::new();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
            lines.push((start, end));
            start = end + 1;
        }
        if start < text.len() {
            lines.push((start, text.len()));
        }
        let indents = lines
            .iter()
            .map(|&(start, end)| {
                content_indent(&text[start..end])
                    .map_or(NO_CONTENT, |i| u32::try_from(i).unwrap_or(NO_CONTENT - 1))
            })
            .collect();
        Text { source: text, lines, indents }
    }

    fn line(&self, i: usize) -> &str {
        let (start, end) = self.lines[i];
        &self.source[start..end]
    }

    /// Lines `from..to` as one text.
    fn slice(&self, from: usize, to: usize) -> &str {
        if from >= to {
            return "";
        }
        &self.source[self.lines[from].0..self.lines[to - 1].1]
    }
}

/// Leading spaces of a line that holds content; None for a blank or comment line.
fn content_indent(line: &str) -> Option<usize> {
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    let rest = &line[indent..];
    (!rest.is_empty() && !rest.starts_with('#')).then_some(indent)
}

/// The lines after `key_line` that are deeper than it: the block of its value.
fn block_after(text: &Text, key_line: usize, key_indent: usize) -> (usize, usize) {
    let mut end = key_line + 1;
    for (i, &indent) in text.indents.iter().enumerate().skip(key_line + 1) {
        if indent == NO_CONTENT {
            continue;
        }
        if indent as usize <= key_indent {
            break;
        }
        end = i + 1;
    }
    (key_line + 1, end)
}

/// One key of a block mapping: its line and the lines of its value (`line..end`).
struct Entry<'t> {
    key: &'t str,
    line: usize,
    end: usize,
    /// Text after `key:` on its own line (a scalar, a flow collection, a block scalar's header).
    inline: bool,
}

/// The keys of the block mapping in lines `from..to`, by indentation alone; None when the
/// block is not a mapping of plain keys this reading can take for certain.
fn entries(text: &Text, (from, to): (usize, usize)) -> Option<Vec<Entry<'_>>> {
    let mut out: Vec<Entry> = Vec::new();
    let mut indent = None;
    for i in from..to {
        let at = text.indents[i];
        if at == NO_CONTENT {
            continue;
        }
        let at = at as usize;
        let indent = *indent.get_or_insert(at);
        if at > indent {
            continue; // inside the value of the key before
        }
        if at < indent {
            return None;
        }
        let line = text.line(i);
        let rest = &line[at..];
        if rest.starts_with('\t') {
            return None;
        }
        if rest == "-" || rest.starts_with("- ") {
            // `key:` then `- item` at the key's own indentation: the key's sequence.
            if out.is_empty() {
                return None;
            }
            continue;
        }
        let colon = rest.find(':')?;
        let key = &rest[..colon];
        let after = &rest[colon + 1..];
        let plain = !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.$/@".contains(&b))
            && !key.starts_with(['-', '@']);
        if !plain || !(after.is_empty() || after.starts_with(' ')) {
            return None;
        }
        let value = after.trim();
        let inline = !value.is_empty() && !value.starts_with('#');
        if inline && value.starts_with(['&', '*', '!']) {
            return None; // anchors, aliases and tags: the YAML parser's
        }
        if let Some(last) = out.last_mut() {
            last.end = i;
        }
        out.push(Entry { key, line: i, end: to, inline });
    }
    Some(out)
}

/// Whether the block's first content line is a key (not a sequence entry; not empty).
fn is_mapping(text: &Text, (from, to): (usize, usize)) -> bool {
    (from..to).find(|&i| text.indents[i] != NO_CONTENT).is_some_and(|i| {
        let rest = &text.line(i)[text.indents[i] as usize..];
        !(rest == "-" || rest.starts_with("- "))
    })
}

/// The keys a structural schema node reads besides `properties`, `items` and
/// `additionalProperties` (see [`Structural::from_yaml`]).
const LEAF_KEYS: &[&str] = &[
    "type",
    "enum",
    "minimum",
    "maximum",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-embedded-resource",
];

/// The YAML of lines `from..to` (an indented block is a valid document of its own); None when
/// it does not parse.
fn parse_lines(text: &Text, from: usize, to: usize) -> Option<yaml::Node> {
    let docs = yaml::parse_all(text.slice(from, to), from + 1).ok()?;
    Some(docs.into_iter().next().map_or_else(|| yaml::Parsed::empty(from + 1).root, |d| d.root))
}

/// The schema node in the block `span` of `text`, its `properties` built on first use.
pub(super) fn schema(text: &Arc<Text>, span: (usize, usize), depth: usize) -> Structural {
    if depth > MAX_DEPTH {
        return Structural { preserve_unknown: true, ..Structural::default() };
    }
    from_block(text, span, depth).unwrap_or_else(|| {
        // Not a block this reading takes for certain: the YAML parser's reading of it.
        match parse_lines(text, span.0, span.1) {
            Some(node) => Structural::from_yaml(&node, depth),
            None => Structural { preserve_unknown: true, ..Structural::default() },
        }
    })
}

fn from_block(text: &Arc<Text>, span: (usize, usize), depth: usize) -> Option<Structural> {
    let keys = entries(text, span)?;
    if keys.is_empty() {
        // Empty, or a sequence or scalar where a mapping belongs: the full parse decides.
        return None;
    }
    let nested = |key: &str| keys.iter().find(|e| e.key == key && !e.inline);
    // Everything but nested `properties`, `items` and `additionalProperties` blocks, parsed as
    // one small text: the leaf keys, and those three when they are written inline.
    let mut shallow = String::new();
    for e in &keys {
        let structural = matches!(e.key, "properties" | "items" | "additionalProperties");
        if LEAF_KEYS.contains(&e.key) || (structural && e.inline) {
            shallow.push_str(text.slice(e.line, e.end));
            shallow.push('\n');
        }
    }
    let mut built = if shallow.is_empty() {
        // What the full parse builds from a mapping without these keys.
        Structural::default()
    } else {
        let node = yaml::parse_all(&shallow, 1).ok()?.into_iter().next()?.root;
        Structural::from_yaml(&node, depth)
    };
    if let Some(e) = nested("properties") {
        let block = (e.line + 1, e.end);
        let children = entries(text, block)?
            .into_iter()
            .map(|child| (child.key.to_string(), Child::new(&child)))
            .collect();
        built.properties = super::Properties::Lazy(Arc::new(LazyProperties {
            text: text.clone(),
            children,
            depth,
        }));
    }
    // A nested `items` or `additionalProperties` is a schema when it is a mapping; empty (null)
    // or a sequence, the full parse gives none.
    for (key, slot) in
        [("items", &mut built.items), ("additionalProperties", &mut built.additional)]
    {
        if let Some(e) = nested(key) {
            let block = (e.line + 1, e.end);
            *slot = is_mapping(text, block).then(|| Box::new(schema(text, block, depth + 1)));
        }
    }
    Some(built)
}

/// A property's schema, built on first use.
#[derive(Debug, Clone)]
struct Child {
    line: usize,
    end: usize,
    inline: bool,
    built: OnceLock<Structural>,
}

impl Child {
    fn new(e: &Entry) -> Child {
        Child { line: e.line, end: e.end, inline: e.inline, built: OnceLock::new() }
    }
}

/// `properties` of a schema node read from text: the names, and each one's schema on first use.
#[derive(Debug)]
pub(super) struct LazyProperties {
    text: Arc<Text>,
    children: Vec<(String, Child)>,
    depth: usize,
}

impl LazyProperties {
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.children.iter().map(|(name, _)| name.as_str())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    pub(super) fn get(&self, key: &str) -> Option<&Structural> {
        // The last of a repeated key, as a map built from the full parse keeps it.
        let (name, child) = self.children.iter().rev().find(|(name, _)| name == key)?;
        Some(child.built.get_or_init(|| {
            let depth = self.depth + 1;
            if child.inline {
                // `name: {}` and the like: the YAML parser reads the one line.
                parse_lines(&self.text, child.line, child.end)
                    .and_then(|node| node.get(name).map(|n| Structural::from_yaml(n, depth)))
                    .unwrap_or_else(|| Structural {
                        preserve_unknown: true,
                        ..Structural::default()
                    })
            } else {
                schema(&self.text, (child.line + 1, child.end), depth)
            }
        }))
    }
}

/// The CRDs of a file, their schemas read as needed; the text back when no skeleton can be cut
/// from it (no schema block, or a skeleton the YAML parser refuses), for the full parse.
pub(super) fn crds(text: String) -> Result<Vec<super::Crd>, String> {
    let text = Text::new(text);
    // Each `openAPIV3Schema:` block, cut out of the skeleton and replaced by the number of the
    // skeleton line it is on: a schema written as a number in the file (an invalid CRD) is taken
    // for a cut block only if it is that line's own number and a block was cut there.
    let mut spans: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut skeleton = String::with_capacity(4096);
    let mut skeleton_line = 0;
    let mut i = 0;
    while i < text.lines.len() {
        let line = text.line(i);
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        let key = line[indent..].split(" #").next().unwrap_or_default().trim_end();
        skeleton_line += 1;
        if key == "openAPIV3Schema:" {
            let span = block_after(&text, i, indent);
            skeleton.push_str(&format!("{}openAPIV3Schema: {skeleton_line}\n", &line[..indent]));
            spans.insert(skeleton_line, span);
            i = span.1.max(i + 1);
            continue;
        }
        skeleton.push_str(line);
        skeleton.push('\n');
        i += 1;
    }
    let docs = match yaml::parse_all(&skeleton, 1) {
        Ok(docs) if !spans.is_empty() => docs,
        _ => return Err(text.source),
    };
    let text = Arc::new(text);
    let lazy = |node: &yaml::Node| -> Option<Structural> {
        let Value::Int(n) = node.value else { return None };
        let at = usize::try_from(n).ok().filter(|&at| at == node.line())?;
        Some(schema(&text, *spans.get(&at)?, 0))
    };
    Ok(docs.iter().filter_map(|d| super::Crd::from_doc_with(&d.root, &lazy)).collect())
}
