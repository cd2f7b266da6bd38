//! A span-aware YAML tree.
//!
//! Every node knows the line it starts on, so findings can point into the render and into the
//! user's values files. Built from `saphyr-parser` events rather than a serde model because we
//! need three things serde hides: line numbers, duplicate keys (reported, never silently resolved;
//! HARDENING.md 1.1) and the scalar style (a literal block's content lines map 1:1 to file lines,
//! which is how objects embedded in ConfigMaps get real line numbers).
//!
//! Scalars resolve as Kubernetes' YAML reader (sigs.k8s.io/yaml, YAML 1.1 rules) does, so a
//! predicate sees what the API server would: `"true"` quoted is a string, plain `yes` is a bool.

use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

mod block_subset;
pub mod emit;

/// Nesting deeper than this is refused: nothing real comes close, and it bounds recursion.
pub const MAX_DEPTH: usize = 200;
/// Alias expansion budget, in nodes per parsed text, so an alias bomb fails fast instead of
/// exhausting memory.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(CompactString),
    // Boxed slices, not vectors: exact size, and (with `u32` lines) a node takes 32 bytes
    // instead of 48, an entry 64 instead of 80 — most of a large render's memory.
    Seq(Box<[Node]>),
    Map(Box<[Entry]>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    /// `|` or `>`: content starts on the line after the indicator.
    Block,
    /// Flow or block collection.
    Collection,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// 1-based line where the node starts (for a block scalar: the line of `|`); read it with
    /// [`Node::line`]. Stored as `u32`: nodes are most of a large render's memory.
    line: u32,
    /// 1-based column where the node starts, 0 when not recorded (see [`parse_one_with_columns`]);
    /// read it with [`Node::col`]. A `u16` fits in the padding after `style`: no node grows.
    col: u16,
    pub style: Style,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: CompactString,
    /// 1-based line of the key; read it with [`Entry::line`].
    line: u32,
    /// 1-based column of the key, 0 when not recorded; read it with [`Entry::col`].
    col: u16,
    pub value: Node,
}

impl Entry {
    /// 1-based line of the key.
    pub fn line(&self) -> usize {
        self.line as usize
    }

    /// 1-based column of the key; 0 unless parsed by [`parse_one_with_columns`].
    pub fn col(&self) -> usize {
        self.col as usize
    }
}

/// A key that appears twice in one mapping. The later value is kept, as Kubernetes' reader does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// Dotted path of the mapping holding the key, plus the key.
    pub path: String,
    /// The key alone (the path's last part; a key may hold dots).
    pub key: String,
    pub first_line: usize,
    pub line: usize,
    /// Column of the repeated key; 0 unless parsed by [`parse_one_with_columns`].
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line (already offset by the caller's `first_line`).
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// One parsed YAML document.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub root: Node,
    pub duplicates: Vec<DuplicateKey>,
}

static NULL: Node = Node { value: Value::Null, line: 0, col: 0, style: Style::Plain };

impl Node {
    /// 1-based line where the node starts (for a block scalar: the line of `|`).
    pub fn line(&self) -> usize {
        self.line as usize
    }

    /// 1-based column where the node starts; 0 unless parsed by [`parse_one_with_columns`].
    pub fn col(&self) -> usize {
        self.col as usize
    }

    pub fn null() -> &'static Node {
        &NULL
    }

    /// Child by key (mappings) or index (sequences, when the key is a number).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|e| e.key == key).map(|e| &e.value),
            Value::Seq(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    /// Follows a dotted path (`spec.template.spec`); numeric segments index sequences.
    pub fn path(&self, dotted: &str) -> Option<&Node> {
        dotted.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// The map entry for `key`, with its line.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 => Some(f as i64),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// The scalar as text, whatever its type (numbers and bools as YAML prints them).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }

    /// Non-empty map or sequence, or any non-null scalar.
    pub fn is_present(&self) -> bool {
        match &self.value {
            Value::Null => false,
            Value::Map(e) => !e.is_empty(),
            Value::Seq(i) => !i.is_empty(),
            _ => true,
        }
    }

    /// Depth-first walk over every node, including `self`.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Node)) {
        visit(self);
        match &self.value {
            Value::Map(entries) => entries.iter().for_each(|e| e.value.walk(visit)),
            Value::Seq(items) => items.iter().for_each(|n| n.walk(visit)),
            _ => {}
        }
    }

    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Map(entries) => entries.iter().map(|e| e.value.size()).sum(),
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            _ => 0,
        }
    }

    /// Converts to JSON (for output and for deep comparisons). Keys keep their order.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => {
                J::Object(entries.iter().map(|e| (e.key.to_string(), e.value.to_json())).collect())
            }
        }
    }
}

/// A line number as stored in nodes (a render of over four billion lines is refused long before).
fn line_u32(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// A column as stored in nodes: past 65535 it stays at 65535.
fn col_u16(col: usize) -> u16 {
    u16::try_from(col).unwrap_or(u16::MAX)
}

/// Parses every document of `text`. `first_line` is the file line of the text's first line, so
/// that documents cut out of a larger file keep their real line numbers. Empty documents are
/// returned as null roots.
pub fn parse_all(text: &str, first_line: usize) -> Result<Vec<Parsed>, YamlError> {
    match block_subset::parse(text, first_line) {
        Some(docs) => Ok(docs),
        None => parse_all_general(text, first_line),
    }
}

/// [`parse_all`] without the fast path: every text through saphyr. The reference the fast path
/// is tested against.
pub fn parse_all_general(text: &str, first_line: usize) -> Result<Vec<Parsed>, YamlError> {
    Builder::new(first_line).run(text)
}

/// Levels of an outline: the root mapping's scalars and those of the mappings directly under it
/// (`apiVersion`, `kind`, `metadata.name`, `metadata.namespace`).
const OUTLINE_DEPTH: usize = 2;

/// [`parse_one`], building only the outline of the document: the scalars of its first two
/// levels, enough for `apiVersion`, `kind` and `metadata`'s `name` and `namespace`. Deeper values
/// and collections come back as nulls; every duplicate key is still found, at its full path.
/// For documents whose bodies nothing reads, it saves building most of their tree. Texts the fast
/// path does not take are parsed whole.
pub fn parse_one_outline(text: &str, first_line: usize) -> Result<Parsed, YamlError> {
    match block_subset::parse_outline(text, first_line) {
        Some(mut docs) if docs.len() <= 1 => {
            Ok(docs.pop().unwrap_or_else(|| Parsed::empty(first_line)))
        }
        _ => parse_one(text, first_line),
    }
}

/// Whether the fast path takes `text` (for tests and measurement: how much of a render it covers).
pub fn in_block_subset(text: &str) -> bool {
    block_subset::parse(text, 1).is_some()
}

/// Parses text holding at most one document (an empty text gives a null root).
pub fn parse_one(text: &str, first_line: usize) -> Result<Parsed, YamlError> {
    one_document(parse_all(text, first_line)?, first_line)
}

/// [`parse_one`], recording the column of every node, key and duplicate key, for a file whose
/// mistakes are reported at their column (the config). Always through saphyr, which knows the
/// columns: renders are parsed without them, on the fast path.
pub fn parse_one_with_columns(text: &str, first_line: usize) -> Result<Parsed, YamlError> {
    let mut builder = Builder::new(first_line);
    builder.columns = true;
    one_document(builder.run(text)?, first_line)
}

impl Parsed {
    /// An empty text's document: a null root at `first_line`.
    fn empty(first_line: usize) -> Parsed {
        Parsed {
            root: Node {
                value: Value::Null,
                line: line_u32(first_line),
                col: 0,
                style: Style::Plain,
            },
            duplicates: vec![],
        }
    }
}

fn one_document(mut docs: Vec<Parsed>, first_line: usize) -> Result<Parsed, YamlError> {
    match docs.len() {
        0 => Ok(Parsed::empty(first_line)),
        1 => Ok(docs.pop().expect("one document")),
        _ => Err(YamlError {
            line: first_line,
            col: 1,
            message: "expected one YAML document, found several".into(),
        }),
    }
}

/// An error position (1-based line of `text`, column) moved back onto the text: saphyr reports
/// an error at the end of input on the line after the last newline, a line the user's editor
/// does not show. It becomes the end of the last line.
fn within_text(text: &str, line: usize, col: usize) -> (usize, usize) {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let last = body.lines().count().max(1);
    if line <= last || text.is_empty() {
        return (line, col);
    }
    (last, body.lines().last().map_or(0, |l| l.chars().count()) + 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Collection {
    Seq,
    Map,
}

/// An open collection. Its children wait on the builder's shared `items`/`entries` stacks from
/// `start` on, and are moved into one exact-size allocation when it closes: no per-collection
/// vector grows and shrinks, which on a large render cost both time and heap holes.
enum Frame {
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

struct Builder {
    offset: usize,
    stack: Vec<Frame>,
    items: Vec<Node>,
    entries: Vec<Entry>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    docs: Vec<Parsed>,
    root: Option<Node>,
    duplicates: Vec<DuplicateKey>,
    /// Build only the outline (see [`parse_one_outline`]).
    outline: bool,
    /// Record columns (see [`parse_one_with_columns`]).
    columns: bool,
    /// Column of the event being built, when recording columns (else 0).
    col: u16,
}

impl Builder {
    fn new(first_line: usize) -> Self {
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
    fn keeps_values(&self) -> bool {
        !self.outline || self.stack.len() <= OUTLINE_DEPTH
    }

    /// An error at `at` = (line in the file, 1-based column). A method so that every error of
    /// the builder is made the same way, wherever it is raised.
    #[allow(clippy::unused_self)]
    fn err(&self, at: (usize, usize), message: impl Into<String>) -> YamlError {
        YamlError { line: at.0, col: at.1, message: message.into() }
    }

    fn run(mut self, text: &str) -> Result<Vec<Parsed>, YamlError> {
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

    fn document_start(&mut self) {
        self.anchors.clear();
        self.root = None;
    }

    /// `line`: where an empty document's null root is placed.
    fn document_end(&mut self, line: u32) {
        let root = self.root.take().unwrap_or(Node {
            value: Value::Null,
            line,
            col: 0,
            style: Style::Plain,
        });
        let duplicates = std::mem::take(&mut self.duplicates);
        self.docs.push(Parsed { root, duplicates });
    }

    fn alias(&mut self, id: usize, at: (usize, usize)) -> Result<(), YamlError> {
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
    fn scalar(
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
    fn scalar_owned(&mut self, text: String, style: Style, line: u32) {
        let node =
            Node { value: Value::Str(CompactString::from(text)), line, col: self.col, style };
        self.push_node(node);
    }

    fn start(
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

    fn end(&mut self, at: (usize, usize)) -> Result<(), YamlError> {
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

    fn path_of_stack(&self) -> String {
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

    fn push_node(&mut self, node: Node) {
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

fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>, line: u32) -> Node {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Parsed {
        parse_one(text, 1).unwrap()
    }

    #[test]
    fn an_error_at_the_end_of_input_is_placed_on_the_last_line() {
        let err =
            |text: &str, first_line: usize| parse_all(text, first_line).map(|_| ()).unwrap_err();
        let e = err("a:\n  b: [1, 2\n", 1);
        assert_eq!((e.line, e.col), (2, 11), "the end of `  b: [1, 2`, not line 3: {}", e.message);
        let e = err("a:\n  b: [1, 2", 10);
        assert_eq!((e.line, e.col), (11, 11), "no final newline, lines offset");
        let e = err("a: 1\n b: 2\n", 1);
        assert!(e.line <= 2, "an error inside the text keeps its line: {}", e.line);
    }

    #[test]
    fn resolves_scalars_like_kubernetes() {
        let p = one("a: true\nb: \"true\"\nc: yes\nd: 10\ne: 0x10\nf: 1.5\ng: ~\nh: 10s\ni: 010\n");
        assert_eq!(p.root.get("a").unwrap().as_bool(), Some(true));
        assert_eq!(p.root.get("b").unwrap().as_str(), Some("true"));
        assert_eq!(p.root.get("c").unwrap().as_bool(), Some(true));
        assert_eq!(p.root.get("d").unwrap().as_i64(), Some(10));
        assert_eq!(p.root.get("e").unwrap().as_i64(), Some(16));
        assert_eq!(p.root.get("f").unwrap().value, Value::Float(1.5));
        assert!(p.root.get("g").unwrap().is_null());
        assert_eq!(p.root.get("h").unwrap().as_str(), Some("10s"));
        assert_eq!(p.root.get("i").unwrap().as_i64(), Some(8));
    }

    #[test]
    fn records_lines_with_offset() {
        let p = parse_one("a:\n  b:\n    c: 1\n", 10).unwrap();
        assert_eq!(p.root.entry("a").unwrap().line, 10);
        assert_eq!(p.root.path("a.b").unwrap().entry("c").unwrap().line, 12);
    }

    #[test]
    fn literal_block_starts_on_indicator_line() {
        let p = one("data:\n  k: |\n    x: 1\n    y: 2\n");
        let k = p.root.path("data.k").unwrap();
        assert_eq!(k.style, Style::Block);
        assert_eq!(k.line, 2);
        assert_eq!(k.as_str(), Some("x: 1\ny: 2\n"));
    }

    #[test]
    fn reports_duplicate_keys_and_keeps_the_last() {
        let p = one("spec:\n  gloo:\n    a: true\n    a: false\n");
        assert_eq!(p.root.path("spec.gloo.a").unwrap().as_bool(), Some(false));
        assert_eq!(
            p.duplicates,
            vec![DuplicateKey {
                path: "spec.gloo.a".into(),
                key: "a".into(),
                first_line: 3,
                line: 4,
                col: 0
            }]
        );
    }

    #[test]
    fn duplicates_in_large_and_nested_mappings() {
        let mut text = String::from("top:\n  list:\n  - big:\n");
        for i in 0..40 {
            text.push_str(&format!("      k{i}: {i}\n"));
        }
        text.push_str("      k3: again\n      k3: thrice\n");
        let p = one(&text);
        let big = p.root.path("top.list.0.big").unwrap();
        assert_eq!(big.entries().len(), 40);
        assert_eq!(big.get("k3").unwrap().as_str(), Some("thrice"));
        assert_eq!(p.duplicates.len(), 2);
        assert_eq!(
            p.duplicates[0],
            DuplicateKey {
                path: "top.list.0.big.k3".into(),
                key: "k3".into(),
                first_line: 7,
                line: 44,
                col: 0
            }
        );
        assert_eq!(p.duplicates[1].first_line, 44);
    }

    #[test]
    fn flow_mappings_anchors_and_aliases() {
        let p = one("base: &b {x: 1, y: [a, b]}\ncopy: *b\n");
        assert_eq!(p.root.path("copy.y.1").unwrap().as_str(), Some("b"));
        assert_eq!(p.root.path("copy.x").unwrap().as_i64(), Some(1));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        let err = parse_one(&text, 1).unwrap_err();
        assert!(err.message.contains("alias expansion"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(MAX_DEPTH + 5) + &"]".repeat(MAX_DEPTH + 5);
        let err = parse_one(&text, 1).unwrap_err();
        assert!(err.message.contains("nesting"), "{err}");
    }

    #[test]
    fn columns_are_recorded_only_when_asked() {
        let text = "top:\n  - key: value\n    list: [a, b]\n    key: again\n";
        let p = parse_one_with_columns(text, 1).unwrap();
        let item = p.root.path("top.0").unwrap();
        assert_eq!(item.col(), 5, "a block mapping starts at its first key");
        assert_eq!((item.entry("list").unwrap().col(), item.get("list").unwrap().col()), (5, 11));
        assert_eq!(item.path("list.1").unwrap().col(), 15);
        assert_eq!(
            (
                item.entry("key").unwrap().line(),
                item.entry("key").unwrap().col(),
                item.get("key").unwrap().col()
            ),
            (4, 5, 10)
        );
        assert_eq!(
            p.duplicates,
            vec![DuplicateKey {
                path: "top.0.key".into(),
                key: "key".into(),
                first_line: 2,
                line: 4,
                col: 5
            }]
        );
        let plain = parse_one(text, 1).unwrap();
        assert_eq!(plain.root.path("top.0.list").unwrap().col(), 0, "renders carry no columns");
    }

    #[test]
    fn a_column_costs_no_memory() {
        assert_eq!((std::mem::size_of::<Node>(), std::mem::size_of::<Entry>()), (32, 64));
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let err = parse_one("a: 1\nb: [1, 2\nc: 3\n", 5).unwrap_err();
        assert!(err.line >= 6, "{err}");
    }
}
