//! The language catalogs (`locales/*.json`) against the code: every sentence written with
//! `say!` in the core and the app has a translation in each catalog, with the same holes, and
//! no catalog keeps a sentence the code no longer says. Adding an English sentence without
//! translating it fails here, not in front of a Spanish or German user.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use switchboard_core::i18n::{holes, Catalog, Lang};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `.rs` files under `dir`, test modules left out (their sentences are not shown to anyone).
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            found.push(path);
        }
    }
}

/// Reads the Rust string literal at the start of `text` (after its opening quote): its value
/// and the rest of the text.
fn read_literal(text: &str) -> Option<String> {
    let mut value = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                '\\' => value.push('\\'),
                '"' => value.push('"'),
                '\'' => value.push('\''),
                '\n' => {
                    // A line continuation: the newline and the next line's indentation vanish.
                    let rest = chars.as_str().trim_start();
                    chars = rest.chars();
                }
                other => panic!("unexpected escape \\{other} in a say! template"),
            },
            c => value.push(c),
        }
    }
    None
}

/// Every template passed to `say!` outside test code.
fn templates_in_code() -> BTreeSet<String> {
    let root = repo_root();
    let mut files = Vec::new();
    rust_files(&root.join("crates/core/src"), &mut files);
    rust_files(&root.join("src"), &mut files);
    assert!(
        files.len() > 40,
        "the source files were not found under {root:?}"
    );
    let mut templates = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (at, _) in code.match_indices("say!(") {
            let after = code[at + 5..].trim_start();
            if file.ends_with("i18n.rs") && !after.starts_with('"') {
                continue; // the macro's own definition and documentation
            }
            let literal = after
                .strip_prefix('"')
                .and_then(read_literal)
                .unwrap_or_else(|| panic!("{file:?}: say! must be given a string literal"));
            templates.insert(literal);
        }
    }
    templates
}

fn catalog_entries(lang: Lang) -> serde_json::Map<String, serde_json::Value> {
    let path = repo_root().join(format!("locales/{}.json", lang.code()));
    let text = std::fs::read_to_string(&path).expect("the catalog file exists");
    Catalog::from_json(lang, &text).expect("the catalog is valid");
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(entries)) => entries,
        _ => panic!("{path:?} is not a JSON object"),
    }
}

/// The holes a translation may have for an English template with `count` `{}` holes: the same
/// number of `{}`, or `{0}`..`{count-1}`, each at least once, in any order.
fn holes_match(english: &str, translated: &str) -> bool {
    let wanted = holes(english);
    let got = holes(translated);
    if wanted.iter().any(Option::is_some) {
        return false; // English templates use plain {} holes
    }
    if got.iter().all(Option::is_none) {
        return got.len() == wanted.len();
    }
    let used: BTreeSet<usize> = got.iter().flatten().copied().collect();
    got.iter().all(Option::is_some) && used == (0..wanted.len()).collect()
}

#[test]
fn every_sentence_in_the_code_is_translated_with_the_same_holes() {
    let templates = templates_in_code();
    assert!(
        templates.len() > 150,
        "only {} templates found",
        templates.len()
    );
    for lang in [Lang::Es, Lang::De] {
        let entries = catalog_entries(lang);
        let missing: Vec<_> = templates
            .iter()
            .filter(|t| !entries.contains_key(t.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{} sentences have no {} translation:\n{}",
            missing.len(),
            lang.code(),
            missing
                .iter()
                .map(|t| serde_json::to_string(t).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        );
        let stale: Vec<_> = entries
            .keys()
            .filter(|k| !templates.contains(k.as_str()))
            .collect();
        assert!(
            stale.is_empty(),
            "the {} catalog keeps sentences the code no longer says: {stale:?}",
            lang.code()
        );
        for (english, translated) in &entries {
            let translated = translated.as_str().unwrap_or("");
            assert!(
                !translated.trim().is_empty(),
                "{}: {english:?} is translated as nothing",
                lang.code()
            );
            assert!(
                holes_match(english, translated),
                "{}: {english:?} has other holes than its translation {translated:?}",
                lang.code()
            );
        }
    }
}

#[test]
fn the_hole_check_catches_a_lost_or_extra_value() {
    assert!(holes_match("Not sent: {}", "No enviado: {}"));
    assert!(holes_match("{} of {}", "{1} von {0}"));
    assert!(!holes_match("Not sent: {}", "No enviado"));
    assert!(!holes_match("{} of {}", "{1} von {1}"));
    assert!(!holes_match("{} of {}", "{0} von {}"));
}
