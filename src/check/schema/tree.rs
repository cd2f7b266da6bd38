//! The values schema as a tree: which keys a chart reads below each key, and what type of value.
//!
//! A node is what one values key may hold. It can be several things at once, as the upstream
//! reference says (`divisor` is a number, and also a list): a scalar of the [`Types`] it lists,
//! a mapping of known `fields`, a mapping of any keys (`any_key`, the reference's `NAME`), or a
//! list (`item`, the reference's `[]`). [`Types::ANY`] (the reference's Go `interface`) accepts
//! anything below it.

use std::collections::BTreeMap;

/// Scalar types a key accepts, as a small set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Types(u8);

impl Types {
    pub const NONE: Types = Types(0);
    pub const BOOL: Types = Types(1);
    pub const INT: Types = Types(2);
    pub const FLOAT: Types = Types(4);
    pub const STRING: Types = Types(8);
    /// Anything, below too (Go's `interface`).
    pub const ANY: Types = Types(16);

    const NAMES: [(Types, &'static str); 5] = [
        (Types::BOOL, "bool"),
        (Types::INT, "int"),
        (Types::FLOAT, "float"),
        (Types::STRING, "string"),
        (Types::ANY, "any"),
    ];

    pub fn contains(self, other: Types) -> bool {
        other.0 != 0 && self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[must_use]
    pub fn with(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }

    /// A Go type of the upstream reference (`bool`, `int32`, `float64`, `interface`, ...).
    pub fn from_go(go: &str) -> Types {
        match go {
            "bool" => Types::BOOL,
            "string" => Types::STRING,
            "float32" | "float64" => Types::FLOAT,
            "interface" => Types::ANY,
            t if t.starts_with("int") || t.starts_with("uint") => Types::INT,
            // `interface`, and anything the generator does not know, accepts anything.
            _ => Types::ANY,
        }
    }

    /// One name of the compact table (`bool`, `int`, ...).
    pub fn from_name(name: &str) -> Option<Types> {
        Types::NAMES.iter().find(|(_, n)| *n == name).map(|(t, _)| *t)
    }

    /// The names in the set, in a fixed order (`int,string`).
    pub fn names(self) -> Vec<&'static str> {
        Types::NAMES.iter().filter(|(t, _)| self.contains(*t)).map(|(_, n)| *n).collect()
    }
}

/// What one key may hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub types: Types,
    /// Known keys of a mapping.
    pub fields: BTreeMap<String, Node>,
    /// A mapping of any keys, each holding this (`NAME` in the reference).
    pub any_key: Option<Box<Node>>,
    /// A list, each element holding this (`[]` in the reference).
    pub item: Option<Box<Node>>,
}

/// The reference's segment for "any map key".
pub const ANY_KEY: &str = "NAME";
/// The reference's segment for "a list element".
pub const ITEM: &str = "[]";

impl Node {
    /// Anything goes here and below.
    pub fn any() -> Node {
        Node { types: Types::ANY, ..Node::default() }
    }

    pub fn accepts_anything(&self) -> bool {
        self.types.contains(Types::ANY)
    }

    /// Whether a mapping is valid here (known fields or any keys).
    pub fn is_mapping(&self) -> bool {
        !self.fields.is_empty() || self.any_key.is_some()
    }

    /// The node for a key of a mapping held here: a known field, else any key's node.
    pub fn child(&self, key: &str) -> Option<&Node> {
        self.fields.get(key).or(self.any_key.as_deref())
    }

    /// The node at a path of segments (`NAME` and `[]` as in the reference), created as needed.
    pub fn at_mut(&mut self, segments: &[&str]) -> &mut Node {
        segments.iter().fold(self, |node, segment| node.slot(segment))
    }

    /// The node for one segment below this one (`NAME`, `[]` or a key), created as needed.
    fn slot(&mut self, segment: &str) -> &mut Node {
        match segment {
            ANY_KEY => self.any_key.get_or_insert_with(Box::default),
            ITEM => self.item.get_or_insert_with(Box::default),
            key => self.fields.entry(key.to_string()).or_default(),
        }
    }

    /// Records a key a template reads (`.Values.settings.replaceInvalidRoutes`): where the
    /// path leaves what is known, the key is added, and what it holds is not judged. Paths that
    /// are known already change nothing (a template's `.Values.gatewayProxies` does not make the
    /// proxies free-form).
    pub fn add_read(&mut self, path: &[String]) {
        let mut node = self;
        for (i, key) in path.iter().enumerate() {
            if node.accepts_anything() {
                return;
            }
            if node.fields.contains_key(key) {
                node = node.fields.get_mut(key).expect("present");
            } else if node.any_key.is_some() {
                node = node.any_key.as_deref_mut().expect("present");
            } else if node.types.is_empty() || node.is_mapping() || i == 0 {
                node.fields.insert(key.clone(), Node::any());
                return;
            } else {
                // A scalar key read deeper (`.Values.x.enabled` where x is a bool): not ours
                // to widen.
                return;
            }
        }
    }

    /// Adds everything `other` allows to what this node allows.
    pub fn merge(&mut self, other: &Node) {
        self.types = self.types.with(other.types);
        for (key, node) in &other.fields {
            self.fields.entry(key.clone()).or_default().merge(node);
        }
        if let Some(any) = &other.any_key {
            self.any_key.get_or_insert_with(Box::default).merge(any);
        }
        if let Some(item) = &other.item {
            self.item.get_or_insert_with(Box::default).merge(item);
        }
    }

    /// Makes lookups simple: a known key of a mapping that also takes any key (a values.yaml
    /// default `gatewayProxy` beside the reference's `NAME`) allows what any key allows, and a
    /// node that says nothing (a `null` or `{}` default the reference does not describe) allows
    /// anything.
    pub fn normalize(&mut self) {
        if let Some(any) = self.any_key.as_deref() {
            let any = any.clone();
            for node in self.fields.values_mut() {
                node.merge(&any);
            }
        }
        if self.types.is_empty() && !self.is_mapping() && self.item.is_none() {
            self.types = Types::ANY;
        }
        for node in self.fields.values_mut() {
            node.normalize();
        }
        for node in [&mut self.any_key, &mut self.item].into_iter().flatten() {
            node.normalize();
        }
    }

    /// The node for one segment of a concrete values path: `[i]` is a list element, anything
    /// else a key.
    pub fn step(&self, segment: &str) -> Option<&Node> {
        if segment.starts_with('[') {
            self.item.as_deref()
        } else {
            self.child(segment)
        }
    }

    /// Whether the tree reads a concrete values path: every segment known, or below a node
    /// that accepts anything.
    pub fn reads(&self, path: &[String]) -> bool {
        let mut node = self;
        for segment in path {
            if node.accepts_anything() {
                return true;
            }
            match node.step(segment) {
                Some(next) => node = next,
                None => return false,
            }
        }
        true
    }

    /// Every key below this node named `key`, with its path (segments as in the reference:
    /// `NAME`, `[]`), fewest segments first. Used to find where a key was probably meant to go.
    pub fn paths_ending_in(&self, key: &str) -> Vec<(Vec<&str>, &Node)> {
        let mut found = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut |path, node| {
            if path.last().copied() == Some(key) {
                found.push((path.to_vec(), node));
            }
        });
        found.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
        found
    }

    fn collect_paths<'a>(
        &'a self,
        prefix: &mut Vec<&'a str>,
        visit: &mut dyn FnMut(&[&'a str], &'a Node),
    ) {
        for (key, node) in &self.fields {
            prefix.push(key);
            visit(prefix, node);
            node.collect_paths(prefix, visit);
            prefix.pop();
        }
        for (segment, node) in [(ANY_KEY, &self.any_key), (ITEM, &self.item)] {
            if let Some(node) = node {
                prefix.push(segment);
                node.collect_paths(prefix, visit);
                prefix.pop();
            }
        }
    }

    /// The compact table: one line per key, indented two spaces per level, the key and its
    /// scalar types (`probes bool`). What [`Node::from_table`] reads back.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        self.write_table(0, &mut out);
        out
    }

    fn write_table(&self, depth: usize, out: &mut String) {
        let children = self
            .fields
            .iter()
            .map(|(k, n)| (k.as_str(), n))
            .chain(self.any_key.as_deref().map(|n| (ANY_KEY, n)))
            .chain(self.item.as_deref().map(|n| (ITEM, n)));
        for (key, node) in children {
            out.push_str(&"  ".repeat(depth));
            out.push_str(key);
            if !node.types.is_empty() {
                out.push(' ');
                out.push_str(&node.types.names().join(","));
            }
            out.push('\n');
            node.write_table(depth + 1, out);
        }
    }

    /// Reads a compact table written by [`Node::to_table`]; `#` lines are comments.
    pub fn from_table(text: &str) -> Result<Node, String> {
        // (line number, indentation, text), comments and blank lines left out.
        let lines: Vec<(usize, usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|(i, l)| {
                let body = l.trim_start_matches(' ');
                (i + 1, l.len() - body.len(), body)
            })
            .collect();
        let mut root = Node::default();
        let mut next = 0;
        root.read_table_children(&lines, &mut next, 0)?;
        Ok(root)
    }

    /// Reads the lines at `indent` from `next` on as this node's children, each with its own
    /// children below it: every node is built once, where it stands (the table is read on
    /// every check, so no path is walked again from the root).
    fn read_table_children(
        &mut self,
        lines: &[(usize, usize, &str)],
        next: &mut usize,
        indent: usize,
    ) -> Result<(), String> {
        while let Some(&(line, at, body)) = lines.get(*next) {
            if at < indent {
                return Ok(());
            }
            if at != indent {
                return Err(format!("line {line}: bad indentation"));
            }
            *next += 1;
            let (key, types) = body.split_once(' ').unwrap_or((body, ""));
            let node = self.slot(key);
            for name in types.split(',').filter(|t| !t.is_empty()) {
                let t = Types::from_name(name)
                    .ok_or_else(|| format!("line {line}: unknown type `{name}`"))?;
                node.types = node.types.with(t);
            }
            node.read_table_children(lines, next, indent + 2)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_back_as_written() {
        let mut root = Node::default();
        root.at_mut(&["gatewayProxies", ANY_KEY, "podTemplate", "probes"]).types = Types::BOOL;
        root.at_mut(&["settings", "watchNamespaces", ITEM]).types = Types::STRING;
        let port = root.at_mut(&["port"]);
        port.types = Types::INT.with(Types::STRING);
        root.at_mut(&["settings", "kubeResourceOverride", ANY_KEY]).types = Types::ANY;
        let table = root.to_table();
        assert_eq!(
            table,
            "gatewayProxies\n  NAME\n    podTemplate\n      probes bool\nport int,string\n\
             settings\n  kubeResourceOverride\n    NAME any\n  watchNamespaces\n    [] string\n"
        );
        assert_eq!(Node::from_table(&table).unwrap(), root);
    }

    #[test]
    fn bad_tables_say_where() {
        assert_eq!(Node::from_table("a\n   b\n").unwrap_err(), "line 2: bad indentation");
        assert_eq!(Node::from_table("a map\n").unwrap_err(), "line 1: unknown type `map`");
    }

    #[test]
    fn paths_ending_in_a_key_are_found_under_any_parent() {
        let mut root = Node::default();
        root.at_mut(&["settings", "invalidConfigPolicy", "replaceInvalidRoutes"]).types =
            Types::BOOL;
        root.at_mut(&["gatewayProxies", ANY_KEY, "x", "replaceInvalidRoutes"]).types = Types::BOOL;
        let paths: Vec<String> =
            root.paths_ending_in("replaceInvalidRoutes").iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(
            paths,
            [
                "settings.invalidConfigPolicy.replaceInvalidRoutes",
                "gatewayProxies.NAME.x.replaceInvalidRoutes"
            ]
        );
        let concrete = |p: &[&str]| p.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert!(root.reads(&concrete(&[
            "gatewayProxies",
            "internal",
            "x",
            "replaceInvalidRoutes"
        ])));
        assert!(!root.reads(&concrete(&["settings", "replaceInvalidRoutes"])));
    }

    #[test]
    fn go_types_map_to_what_a_template_can_tell_apart() {
        assert_eq!(Types::from_go("uint32"), Types::INT);
        assert_eq!(Types::from_go("int8"), Types::INT);
        assert_eq!(Types::from_go("float64"), Types::FLOAT);
        assert_eq!(Types::from_go("interface"), Types::ANY);
        assert_eq!(Types::from_go("map[string]string"), Types::ANY);
    }
}
