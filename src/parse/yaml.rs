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

mod block_subset;
pub mod emit;
mod saphyr;

pub use saphyr::resolve_plain;
use saphyr::Builder;

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
    /// Whether two nodes hold the same values in the same order and styles, wherever they are
    /// (lines and columns aside): what a document found again in another render has.
    pub fn same_content(&self, other: &Node) -> bool {
        if self.style != other.style {
            return false;
        }
        match (&self.value, &other.value) {
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.same_content(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(x, y)| x.key == y.key && x.value.same_content(&y.value))
            }
            (a, b) => a == b,
        }
    }

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
    pub fn empty(first_line: usize) -> Parsed {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_content_ignores_where_a_node_is_and_nothing_else() {
        let at = |text: &str, line: usize| parse_one(text, line).unwrap().root;
        let a = at("kind: A\nspec: {replicas: 1, 'name': x}\nlist: [1, two]\n", 1);
        assert!(
            a.same_content(&at("kind: A\nspec: {replicas: 1, 'name': x}\nlist: [1, two]\n", 40))
        );
        assert_ne!(a, at("kind: A\nspec: {replicas: 1, 'name': x}\nlist: [1, two]\n", 40));
        for other in [
            "kind: A\nspec: {replicas: 2, 'name': x}\nlist: [1, two]\n",
            "kind: A\nspec: {replicas: 1, 'name': 'x'}\nlist: [1, two]\n",
            "kind: A\nspec: {'name': x, replicas: 1}\nlist: [1, two]\n",
            "kind: A\nspec: {replicas: 1, 'name': x}\nlist: [1]\n",
            "kind: A\nspec: {replicas: 1, 'name': x}\n",
        ] {
            assert!(!a.same_content(&at(other, 1)), "{other}");
        }
    }

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
