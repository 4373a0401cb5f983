//! The search configuration (`search-index/config.toml`): field boosts and
//! synonyms. The build copies it into the index folder.

use super::analysis::normalize;
use serde::Deserialize;
use std::path::Path;

pub const FILE_NAME: &str = "kpot-search.toml";

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Boosts {
    pub title: f32,
    pub description: f32,
    pub body: f32,
    pub morph: f32,
    pub grams: f32,
    pub english: f32,
    pub exact: f32,
}

impl Default for Boosts {
    fn default() -> Self {
        Boosts {
            title: 4.0,
            description: 2.0,
            body: 1.0,
            morph: 2.0,
            grams: 1.0,
            english: 2.0,
            exact: 8.0,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Synonyms {
    pub groups: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    pub boosts: Boosts,
    pub synonyms: Synonyms,
}

impl SearchConfig {
    /// Reads the configuration; a missing file means the defaults.
    pub fn load(path: &Path) -> Result<SearchConfig, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SearchConfig::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The other members of every synonym group that `word` belongs to.
    pub fn synonyms_of(&self, word: &str) -> Vec<String> {
        let word = normalize(word);
        let mut out = Vec::new();
        for group in &self.synonyms.groups {
            let normalized: Vec<String> = group.iter().map(|w| normalize(w)).collect();
            if normalized.contains(&word) {
                out.extend(normalized.into_iter().filter(|w| *w != word));
            }
        }
        out
    }
}
