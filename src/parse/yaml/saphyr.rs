//! The general YAML parser: a [`Parsed`] tree built from saphyr's events, with anchors and
//! aliases (bounded by [`MAX_ALIAS_NODES`]), depth bounded by [`MAX_DEPTH`], every duplicate key
//! and, when asked, every column. The block subset that renders are made of takes the fast path
//! (`block_subset.rs`); everything else comes here.

use super::{
    col_u16, line_u32, DuplicateKey, Entry, Node, Parsed, Style, Value, YamlError, MAX_ALIAS_NODES,
    MAX_DEPTH, OUTLINE_DEPTH,
};
use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// An error position (1-based line of `text`, column) moved back onto the text: saphyr reports
/// an error at the end of input on the line after the last newline, a line the user's editor
/// does not show. It becomes the end of the last line.
pub(super) fn within_text(text: &str, line: usize, col: usize) -> (usize, usize) {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let last = body.lines().count().max(1);
    if line <= last || text.is_empty() {
        return (line, col);
    }
    (last, body.lines().last().map_or(0, |l| l.chars().count()) + 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Collection {
    Seq,
    Map,
}

/// An open collection. Its children wait on the builder's shared `items`/`entries` stacks from
/// `start` on, and are moved into one exact-size allocation when it closes: no per-collection
/// vector grows and shrinks, which on a large render cost both time and heap holes.
pub(super) enum Frame {
    Seq {
        node_line: u32,
        node_col: u16,
        anchor: usize,
        start: usize,
    },
    Map {
        node_line: u32,
        node_col: u16,
        anchor: usize,
        start: usize,
        /// The key waiting for its value, with its line and column.
        pending_key: Option<(CompactString, u32, u16)>,
        /// Key -> line, built only once a mapping grows large; small ones are scanned.
        index: Option<HashMap<CompactString, u32>>,
    },
}

pub(super) struct Builder {
    pub(super) offset: usize,
    pub(super) stack: Vec<Frame>,
    pub(super) items: Vec<Node>,
    pub(super) entries: Vec<Entry>,
    pub(super) anchors: HashMap<usize, (Node, usize)>,
    pub(super) alias_nodes: usize,
    pub(super) docs: Vec<Parsed>,
    pub(super) root: Option<Node>,
    pub(super) duplicates: Vec<DuplicateKey>,
    /// Build only the outline (see [`parse_one_outline`]).
    pub(super) outline: bool,
    /// Record columns (see [`parse_one_with_columns`]).
    pub(super) columns: bool,
    /// Column of the event being built, when recording columns (else 0).
    pub(super) col: u16,
}

impl Builder {
    pub(super) fn new(first_line: usize) -> Self {
        Builder {
            offset: first_line.saturating_sub(1),
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            docs: Vec::new(),
            root: None,
            duplicates: Vec::new(),
            outline: false,
            columns: false,
            col: 0,
        }
    }

    /// Whether a value at the current depth is kept: always, except below the outline's two
    /// levels when building an outline.
    pub(super) fn keeps_values(&self) -> bool {
        !self.outline || self.stack.len() <= OUTLINE_DEPTH
    }

    /// An error at `at` = (line in the file, 1-based column). A method so that every error of
    /// the builder is made the same way, wherever it is raised.
    #[allow(clippy::unused_self)]
    pub(super) fn err(&self, at: (usize, usize), message: impl Into<String>) -> YamlError {
        YamlError { line: at.0, col: at.1, message: message.into() }
    }

    pub(super) fn run(mut self, text: &str) -> Result<Vec<Parsed>, YamlError> {
        let mut parser = Parser::new_from_str(text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| {
                let (line, col) = within_text(text, e.marker().line(), e.marker().col() + 1);
                YamlError { line: line + self.offset, col, message: e.info().to_string() }
            })?;
            let line = line_u32(span.start.line() + self.offset);
            let at = (span.start.line() + self.offset, span.start.col() + 1);
            if self.columns {
                self.col = col_u16(at.1);
            }
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(_) => self.document_start(),
                Event::DocumentEnd => self.document_end(line),
                Event::Alias(id) => self.alias(id, at)?,
                Event::Scalar(text, style, anchor, tag) => {
                    let line = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        // The span starts at the first non-blank content line; leading blank
                        // lines are kept in the text. Point at the indicator line before them.
                        let leading = text.bytes().take_while(|&b| b == b'\n').count();
                        line.saturating_sub(line_u32(leading + 1))
                    } else {
                        line
                    };
                    self.scalar(
                        &text,
                        style,
                        tag.as_deref().map(|t| t.suffix.as_str()),
                        anchor,
                        line,
                    );
                }
                Event::SequenceStart(anchor, _) => self.start(Collection::Seq, anchor, line, at)?,
                Event::MappingStart(anchor, _) => self.start(Collection::Map, anchor, line, at)?,
                Event::SequenceEnd | Event::MappingEnd => self.end(at)?,
            }
        }
        Ok(self.docs)
    }

    pub(super) fn document_start(&mut self) {
        self.anchors.clear();
        self.root = None;
    }

    /// `line`: where an empty document's null root is placed.
    pub(super) fn document_end(&mut self, line: u32) {
        let root = self.root.take().unwrap_or(Node {
            value: Value::Null,
            line,
            col: 0,
            style: Style::Plain,
        });
        let duplicates = std::mem::take(&mut self.duplicates);
        self.docs.push(Parsed { root, duplicates });
    }

    pub(super) fn alias(&mut self, id: usize, at: (usize, usize)) -> Result<(), YamlError> {
        let (node, size) = self
            .anchors
            .get(&id)
            .cloned()
            .ok_or_else(|| self.err(at, "alias to an unknown anchor"))?;
        self.alias_nodes += size;
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(self.err(
                at,
                format!("alias expansion exceeds {MAX_ALIAS_NODES} nodes (alias bomb?)"),
            ));
        }
        self.push_node(node);
        Ok(())
    }

    /// A scalar starting on `line` (for a block scalar: the indicator's line).
    pub(super) fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&str>,
        anchor: usize,
        line: u32,
    ) {
        let is_key = matches!(self.stack.last(), Some(Frame::Map { pending_key: None, .. }));
        let node = if is_key {
            // Keys stay text: `y:` or `on:` is a key named so, not a boolean.
            Node {
                value: Value::Str(CompactString::from(text)),
                line,
                col: self.col,
                style: Style::Plain,
            }
        } else if !self.keeps_values() {
            Node { value: Value::Null, line, col: self.col, style: Style::Plain }
        } else {
            Node { col: self.col, ..resolve_scalar(text, style, tag, line) }
        };
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), 1));
        }
        self.push_node(node);
    }

    /// A scalar string the caller built (a literal block's text): kept without a copy.
    pub(super) fn scalar_owned(&mut self, text: String, style: Style, line: u32) {
        let node =
            Node { value: Value::Str(CompactString::from(text)), line, col: self.col, style };
        self.push_node(node);
    }

    pub(super) fn start(
        &mut self,
        kind: Collection,
        anchor: usize,
        line: u32,
        at: (usize, usize),
    ) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(at, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let node_col = self.col;
        self.stack.push(match kind {
            Collection::Seq => {
                Frame::Seq { node_line: line, node_col, anchor, start: self.items.len() }
            }
            Collection::Map => Frame::Map {
                node_line: line,
                node_col,
                anchor,
                start: self.entries.len(),
                pending_key: None,
                index: None,
            },
        });
        Ok(())
    }

    pub(super) fn end(&mut self, at: (usize, usize)) -> Result<(), YamlError> {
        let frame = self.stack.pop().ok_or_else(|| self.err(at, "unbalanced collection end"))?;
        if self.outline && self.stack.len() >= OUTLINE_DEPTH {
            // Below the outline: its keys served duplicate detection; the collection is dropped.
            let (line, col, anchor) = match frame {
                Frame::Seq { node_line, node_col, anchor, start } => {
                    self.items.truncate(start);
                    (node_line, node_col, anchor)
                }
                Frame::Map { node_line, node_col, anchor, start, .. } => {
                    self.entries.truncate(start);
                    (node_line, node_col, anchor)
                }
            };
            let node = Node { value: Value::Null, line, col, style: Style::Collection };
            if anchor > 0 {
                self.anchors.insert(anchor, (node.clone(), 1));
            }
            self.push_node(node);
            return Ok(());
        }
        let (node, anchor) = match frame {
            // Exact-size collections: growth slack would otherwise be a large part
            // of a big render's memory.
            Frame::Seq { node_line, node_col, anchor, start } => (
                Node {
                    value: Value::Seq(self.items.drain(start..).collect()),
                    line: node_line,
                    col: node_col,
                    style: Style::Collection,
                },
                anchor,
            ),
            Frame::Map { node_line, node_col, anchor, start, .. } => (
                Node {
                    value: Value::Map(self.entries.drain(start..).collect()),
                    line: node_line,
                    col: node_col,
                    style: Style::Collection,
                },
                anchor,
            ),
        };
        if anchor > 0 {
            let size = node.size();
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.push_node(node);
        Ok(())
    }

    pub(super) fn path_of_stack(&self) -> String {
        let mut parts = Vec::new();
        // A sequence's position is how many items it holds so far: from its own start up to
        // the start of the next open sequence above it (or the top of the stack).
        let mut later_seq_starts = self
            .stack
            .iter()
            .filter_map(|f| match f {
                Frame::Seq { start, .. } => Some(*start),
                Frame::Map { .. } => None,
            })
            .skip(1);
        for frame in &self.stack {
            match frame {
                Frame::Map { pending_key: Some((k, _, _)), .. } => parts.push(k.to_string()),
                Frame::Seq { start, .. } => {
                    let end = later_seq_starts.next().unwrap_or(self.items.len());
                    parts.push((end - start).to_string());
                }
                Frame::Map { .. } => {}
            }
        }
        parts.join(".")
    }

    pub(super) fn push_node(&mut self, node: Node) {
        // A mapping value whose key the mapping already has: a duplicate, reported under the
        // full path (computed only then: building it for every value would dominate parsing).
        let first_line = match self.stack.last() {
            Some(Frame::Map { start, pending_key: Some((key, _, _)), index, .. }) => match index {
                Some(index) => index.get(key).copied(),
                None => self.entries[*start..].iter().find(|e| e.key == *key).map(|e| e.line),
            },
            _ => None,
        };
        if let Some(first_line) = first_line {
            let path = self.path_of_stack();
            if let Some(Frame::Map { pending_key: Some((key, line, col)), .. }) = self.stack.last()
            {
                let duplicate = DuplicateKey {
                    path,
                    key: key.to_string(),
                    first_line: first_line as usize,
                    line: *line as usize,
                    col: *col as usize,
                };
                self.duplicates.push(duplicate);
            }
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map { start, pending_key, index, .. }) => match pending_key.take() {
                None => {
                    // Complex keys (maps, sequences) do not occur in Kubernetes objects; they are
                    // kept under their JSON text so nothing is lost.
                    let (line, col) = (node.line, node.col);
                    let key = match node.value {
                        // Keys are built as strings (see `Event::Scalar`): no copy.
                        Value::Str(text) => text,
                        Value::Null => CompactString::default(),
                        _ => CompactString::from(
                            node.scalar_text().unwrap_or_else(|| node.to_json().to_string()),
                        ),
                    };
                    *pending_key = Some((key, line, col));
                }
                Some((key, key_line, key_col)) => {
                    let entries = &mut self.entries;
                    if first_line.is_some() {
                        // Keep the later value, as Kubernetes' reader does (there is at most one
                        // earlier: each duplicate replaces it).
                        if let Some(at) = entries[*start..].iter().position(|e| e.key == key) {
                            entries.remove(*start + at);
                        }
                    }
                    match index {
                        Some(index) => {
                            index.insert(key.clone(), key_line);
                        }
                        None if entries.len() - *start >= 32 => {
                            let mut built: HashMap<CompactString, u32> =
                                entries[*start..].iter().map(|e| (e.key.clone(), e.line)).collect();
                            built.insert(key.clone(), key_line);
                            *index = Some(built);
                        }
                        None => {}
                    }
                    entries.push(Entry { key, line: key_line, col: key_col, value: node });
                }
            },
        }
    }
}

pub(super) fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>, line: u32) -> Node {
    let value = match (style, tag) {
        (_, Some("str")) => Value::Str(text.into()),
        (ScalarStyle::Plain, Some("int")) => {
            text.parse().map_or_else(|_| Value::Str(text.into()), Value::Int)
        }
        (ScalarStyle::Plain, _) => resolve_plain(text),
        _ => Value::Str(text.into()),
    };
    let style = match style {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
        _ => Style::Quoted,
    };
    Node { value, line, col: 0, style }
}

/// YAML 1.1 resolution as in go-yaml v2 (what Kubernetes and helm read YAML with).
pub fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return Value::Str(text.into());
    }
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (sign, digits) = match cleaned.as_bytes()[0] {
        b'-' => (-1i64, &cleaned[1..]),
        b'+' => (1, &cleaned[1..]),
        _ => (1, &cleaned[..]),
    };
    let int = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()
    } else if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        i64::from_str_radix(&digits[1..], 8).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Value::Int(sign * i);
    }
    let looks_float = cleaned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && cleaned.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        if let Ok(f) = cleaned.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text.into())
}
