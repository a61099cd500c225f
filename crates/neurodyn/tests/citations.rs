//! Every arXiv id cited in the code, the examples and the docs is a real one for the paper it
//! is cited for: the seed ids of `shared/seeds/INDEX.md` (a copy is committed in
//! `tests/golden/seeds/`, checked against the original when it is beside the repository) must
//! appear with their first author's surname nearby, and any other id must be one of the
//! classics the index names or the short list below.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Non-seed ids we cite, with the surname that must stand next to them.
const OTHERS: &[(&str, &str)] = &[
    // Seed 36 of the 001 feed ("connectivity structure shapes rich and lazy learning", 2023),
    // listed in the index without its id: Liu, Baratin, Cornford, Mihalas, Shea-Brown & Lajoie.
    ("2310.08513", "Liu"),
    // Seed 3 of the 001 feed ("learning heterogeneous delays … for fast motion detection",
    // 2023; Biological Cybernetics), looked up on arXiv: Grimaldi & Perrinet.
    ("2307.14077", "Grimaldi"),
    // Seed 25 of the 001 feed ("reservoir computing with adaptive E/I dynamics", 2025), looked
    // up on arXiv: Srinivasan, Plenz & Girvan.
    ("2504.12480", "Srinivasan"),
    // Seed 10 of the 001 feed ("what" and "when" predictions by error-modulated plasticity in
    // reservoir spiking networks, 2025), looked up on arXiv: Yamada & Chao.
    ("2510.14382", "Yamada"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `id → first author's surname` from the index's tables and its notes (`Name … (arXiv:id)`);
/// ids listed without authors map to an empty name.
fn index() -> BTreeMap<String, String> {
    let copy = root().join("tests/golden/seeds/INDEX.md");
    let text = std::fs::read_to_string(&copy).unwrap();
    let original = root().join("../shared/seeds/INDEX.md");
    if let Ok(current) = std::fs::read_to_string(&original) {
        assert_eq!(text, current, "tests/golden/seeds/INDEX.md is out of date: copy it again");
    }
    let mut ids = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3 && is_id(cells[1]) {
            let first = cells[2].split([' ', ',']).next().unwrap_or("");
            let name =
                if first.chars().next().is_some_and(char::is_alphabetic) { first } else { "" };
            ids.insert(cells[1].to_string(), name.to_string());
        }
    }
    // Notes: "Monteforte & Wolf 2010 (arXiv:1003.4410)", "(Saxe, McClelland & Ganguli, arXiv:1312.6120)".
    for (at, _) in text.match_indices("arXiv:") {
        let id: String =
            text[at + 6..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        if !is_id(&id) || ids.contains_key(&id) {
            continue;
        }
        let before = text[..at].trim_end_matches(['(', ' ', ',']);
        let start = before.rfind(['·', '(', ':', '\n']).map_or(0, |i| i + 1);
        let words: Vec<&str> =
            before[start..].split([' ', ',', '(']).filter(|w| !w.is_empty()).collect();
        let name = words.iter().find(|w| w.chars().next().is_some_and(char::is_uppercase));
        ids.insert(id, name.map_or("", |w| w).to_string());
    }
    for (id, name) in OTHERS {
        ids.insert(id.to_string(), name.to_string());
    }
    ids
}

fn is_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 2
        && parts[0].len() == 4
        && (4..=5).contains(&parts[1].len())
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "golden" {
                files(&p, out);
            }
        } else if ["rs", "toml", "md", "py", "sh"].iter().any(|e| name.ends_with(e)) {
            out.push(p);
        }
    }
}

/// Every `(file, id, text around it)` of a citation: `arXiv:ID`, `arXiv ID` or `arxiv = "ID"`.
fn citations() -> Vec<(PathBuf, String, String)> {
    let mut paths = Vec::new();
    for dir in ["crates", "examples", "bench", "python"] {
        if root().join(dir).exists() {
            files(&root().join(dir), &mut paths);
        }
    }
    paths.extend(["README.md", "ARCHITECTURE.md"].map(|f| root().join(f)));
    let mut found = Vec::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let lower = text.to_lowercase();
        for (at, _) in lower.match_indices("arxiv") {
            let rest = &text[at + 5..];
            let id: String = rest
                .trim_start_matches([':', ' ', '=', '"'])
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let id = id.trim_end_matches('.').to_string();
            if !is_id(&id) {
                continue;
            }
            let lo = text.floor_char_boundary(at.saturating_sub(400));
            let hi = text.ceil_char_boundary((at + 120).min(text.len()));
            found.push((path.clone(), id, text[lo..hi].to_string()));
        }
    }
    found
}

#[test]
fn every_cited_arxiv_id_is_known_and_next_to_its_author() {
    let index = index();
    let cited = citations();
    assert!(cited.len() >= 10, "the scan finds the citations ({} found)", cited.len());
    let mut wrong = Vec::new();
    for (path, id, around) in &cited {
        match index.get(id) {
            None => wrong.push(format!("{}: arXiv:{id} is not in the seed index", path.display())),
            Some(name) if !name.is_empty() && !around.contains(name.as_str()) => {
                wrong.push(format!(
                    "{}: arXiv:{id} is {name}'s paper, but {name} is not named next to it",
                    path.display()
                ))
            }
            Some(_) => {}
        }
    }
    assert!(wrong.is_empty(), "wrong citations:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_catches_the_citations_that_were_wrong() {
    // The mistakes this test was written for: each id attributed to another paper.
    let index = index();
    for (id, wrong_author) in
        [("1810.10531", "Kadmon"), ("1905.12080", "Lajoie"), ("1311.7128", "Monteforte")]
    {
        let name = &index[id];
        assert!(!name.is_empty() && name != wrong_author, "{id}: {name}");
    }
    assert_eq!(index["1810.10065"], "Kadmon");
    assert_eq!(index["1003.4410"], "Monteforte");
}
