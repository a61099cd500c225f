//! Mapping between byte offsets, line/column positions and dotted key paths of a TOML text.

use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The dotted key path of the innermost key or value containing `span`, if any.
///
/// A table's own span covers only its header, so every table is searched, not just the one
/// whose span contains the offset.
pub(crate) fn path_at(text: &str, span: Range<usize>) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    search(root.get_ref(), &span, &mut path).then(|| path.join("."))
}

fn search(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<String>) -> bool {
    let within = |s: Range<usize>| s.start <= span.start && span.start < s.end.max(s.start + 1);
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        let hit = match value.get_ref() {
            DeValue::Table(inner) => {
                search(inner, span, path) || within(key.span()) || within(value.span())
            }
            _ => within(key.span()) || within(value.span()),
        };
        if hit {
            return true;
        }
        path.pop();
    }
    false
}

/// The span of the value at a dotted key path, or of its deepest existing ancestor.
pub(crate) fn locate(text: &str, dotted: &str) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut found = None;
    for part in dotted.split('.') {
        let Some((key, value)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == part) else {
            break;
        };
        found = Some(if matches!(value.get_ref(), DeValue::Table(_)) {
            key.span()
        } else {
            value.span()
        });
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "name = \"x\"\n\n[model]\ncell = \"gru\"\ntau = -1.0\n";

    #[test]
    fn offsets_map_to_lines_and_paths() {
        let at = TEXT.find("-1.0").unwrap();
        assert_eq!(line_col(TEXT, at), (5, 7));
        assert_eq!(path_at(TEXT, at..at + 4).as_deref(), Some("model.tau"));
        assert_eq!(locate(TEXT, "model.tau"), Some(at..at + 4));
        // A missing field points at its section.
        assert_eq!(locate(TEXT, "model.n_hidden").map(|r| line_col(TEXT, r.start).0), Some(3));
        assert_eq!(locate(TEXT, "seed"), None);
    }
}
