//! The module layering written in ARCHITECTURE.md ("## Layers") is the one the code has.
//!
//! The table lists the modules bottom up; each row names the modules it may use, all of them
//! rows above it, so an allowed import can never close a circle. This test reads every file in
//! `src/`, finds each `crate::module` (and, in the binary, `citygrid::module`) it names outside
//! comments, and fails on any module the table does not allow, naming the file and line. It also
//! keeps files short: over 800 lines, a file must say why in its first lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const LONG_FILE_LINES: usize = 800;
/// Words a file over [`LONG_FILE_LINES`] lines must carry in its first 12 lines.
const LONG_FILE_REASON: &str = "Longer than 800 lines because";

/// The "## Layers" table: module → modules it may use, in the table's order.
fn layer_table() -> Vec<(String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = text.split("\n## Layers").nth(1).expect("ARCHITECTURE.md has a \"## Layers\" section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut rows = Vec::new();
    for line in section.lines().filter(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [module, uses, ..] = cells[..] else { continue };
        let module = module.trim_matches('`');
        if module.is_empty() || module == "module" || module.starts_with('-') {
            continue;
        }
        let uses = uses.split(',').map(|name| name.trim().trim_matches('`').to_owned()).filter(|name| !name.is_empty() && name != "—");
        rows.push((module.to_owned(), uses.collect()));
    }
    assert!(rows.len() >= 10, "the Layers table lists only {} modules", rows.len());
    rows
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            into.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/ui/desk.rs` → `ui`, `src/bench.rs` → `bench`;
/// the binary's files (`main.rs`, `src/cli/`) → `cli`; `lib.rs` → none.
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" => None,
        "main.rs" => Some("cli".into()),
        name => Some(name.trim_end_matches(".rs").to_owned()),
    }
}

/// Code without comments (line comments, doc comments, block comments), lines kept in place.
fn without_comments(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let mut kept = String::new();
        let mut rest = line;
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(end) => {
                        in_block = false;
                        rest = &rest[end + 2..];
                    }
                    None => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(a), Some(b)) if b < a => {
                        kept.push_str(&rest[..b]);
                        in_block = true;
                        rest = &rest[b + 2..];
                    }
                    (Some(a), _) => {
                        kept.push_str(&rest[..a]);
                        break;
                    }
                    (None, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        in_block = true;
                        rest = &rest[b + 2..];
                    }
                    (None, None) => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        lines.push(kept);
    }
    lines
}

/// The modules named after `prefix` (`crate::`) on a line, including groups (`crate::{a, b::c}`).
fn named_modules(line: &str, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(prefix) {
        // `mycrate::` must not count as `crate::`.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut first_of_item = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        first_of_item = true;
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && first_of_item {
                    if c.is_alphanumeric() || c == '_' {
                        item.push(c);
                    } else if !item.is_empty() {
                        found.push(std::mem::take(&mut item));
                        first_of_item = false;
                    }
                }
            }
            if first_of_item && !item.is_empty() {
                found.push(item);
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

#[test]
fn imports_follow_the_layers_in_architecture_md() {
    let table = layer_table();
    let mut seen = BTreeSet::new();
    for (module, uses) in &table {
        for used in uses {
            assert!(seen.contains(used), "ARCHITECTURE.md Layers: `{module}` may use `{used}`, which is not a row above it");
        }
        seen.insert(module.clone());
    }
    let allowed: BTreeMap<&str, &BTreeSet<String>> = table.iter().map(|(module, uses)| (module.as_str(), uses)).collect();
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let Some(module) = module_of(relative) else { continue };
        let Some(uses) = allowed.get(module.as_str()) else {
            problems.push(format!("src/{}: module `{module}` has no row in ARCHITECTURE.md Layers", relative.display()));
            continue;
        };
        let prefix = if module == "cli" { "citygrid::" } else { "crate::" };
        let text = std::fs::read_to_string(file).expect("readable");
        for (number, line) in without_comments(&text).iter().enumerate() {
            for named in named_modules(line, prefix) {
                let is_own = named == module || (module == "cli" && named == "cli");
                if !is_own && allowed.contains_key(named.as_str()) && !uses.contains(&named) {
                    problems.push(format!("src/{}:{}: `{module}` uses `{named}`", relative.display(), number + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "imports against ARCHITECTURE.md's Layers table:\n{}", problems.join("\n"));
}

#[test]
fn long_files_say_why() {
    let src = Path::new(ROOT).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut long = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        let lines = text.lines().count();
        if lines > LONG_FILE_LINES && !text.lines().take(12).any(|line| line.contains(LONG_FILE_REASON)) {
            long.push(format!("{}: {lines} lines", file.strip_prefix(ROOT).unwrap_or(&file).display()));
        }
    }
    assert!(long.is_empty(), "files over {LONG_FILE_LINES} lines with no \"{LONG_FILE_REASON} …\" at the top:\n{}", long.join("\n"));
}

#[test]
fn the_checker_finds_grouped_and_inline_paths() {
    assert_eq!(named_modules("use crate::{app::World, ui::{self, Lang}, store};", "crate::"), ["app", "ui", "store"]);
    assert_eq!(named_modules("let x = crate::store::Store::open(p); mycrate::ui::x();", "crate::"), ["store"]);
    assert_eq!(without_comments("a /* crate::ui */ b // crate::app\nc"), ["a  b ", "c"]);
}
