//! The data files under `data/`: partner organizations, the councils
//! directory, consultation windows and taxonomy labels.

use crate::diagnostics::{Diagnostic, Text, display_path, suggest};
use crate::format::Lang;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// A text in both languages; the English may be missing, and then the
/// Japanese stands in.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub ja: String,
    #[serde(default)]
    pub en: Option<String>,
}

impl Localized {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.en.as_deref().unwrap_or(&self.ja),
            Lang::Ja => &self.ja,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    pub name: Localized,
    #[serde(default)]
    pub short_name: Option<Localized>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<Localized>,
    #[serde(default)]
    pub git_handles: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Council {
    pub prefecture: String,
    pub name: Localized,
    pub host: Localized,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub address: Option<Localized>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    Chamber,
    Society,
    Agency,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub name: Localized,
    pub kind: WindowKind,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub area: Option<Localized>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    pub slug: String,
    pub ja: String,
    pub en: String,
    /// Other names partners write for the term (川崎市 for 川崎): they map
    /// to it instead of making a term of their own.
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl Term {
    /// Every way the term may be written in front matter.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [self.slug.as_str(), self.ja.as_str(), self.en.as_str()]
            .into_iter()
            .chain(self.aliases.iter().map(String::as_str))
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CouncilsFile {
    Listed(Vec<Council>),
    Dated {
        as_of: Option<String>,
        councils: Vec<Council>,
    },
}

#[derive(Debug, Default)]
pub struct Data {
    pub organizations: Vec<Organization>,
    pub councils: Vec<Council>,
    /// The date the directory is correct as of (the seed's 2024年5月1日現在).
    pub councils_as_of: Option<NaiveDate>,
    pub windows: Vec<Window>,
    /// Taxonomy name → its labelled terms.
    pub taxonomies: BTreeMap<String, Vec<Term>>,
}

impl Data {
    pub fn organization(&self, id: &str) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.id == id)
    }

    /// The listed term that `written` names (its slug, a label or an alias).
    pub fn term(&self, taxonomy: &str, written: &str) -> Option<&Term> {
        self.taxonomies
            .get(taxonomy)?
            .iter()
            .find(|t| t.names().any(|name| name == written))
    }

    /// A term written as its slug, its Japanese or its English label or an
    /// alias maps to one slug and the label of `lang`; an unlisted term is
    /// slugified as Zola would and keeps its text as label.
    pub fn resolve_term(&self, taxonomy: &str, written: &str, lang: Lang) -> (String, String) {
        match self.term(taxonomy, written) {
            Some(term) => (
                term.slug.clone(),
                match lang {
                    Lang::Ja => term.ja.clone(),
                    Lang::En => term.en.clone(),
                },
            ),
            None => {
                let slug = crate::content::load::slugify(written);
                (
                    if slug.is_empty() { "-".into() } else { slug },
                    written.to_string(),
                )
            }
        }
    }
}

/// A prefecture: URL slug, names, and the region block the directory groups
/// by.
pub struct Prefecture {
    pub slug: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
    pub region_ja: &'static str,
    pub region_en: &'static str,
}

macro_rules! prefectures {
    ($(($slug:literal, $ja:literal, $en:literal, $rja:literal, $ren:literal)),* $(,)?) => {
        pub const PREFECTURES: &[Prefecture] = &[
            $(Prefecture { slug: $slug, ja: $ja, en: $en, region_ja: $rja, region_en: $ren }),*
        ];
    };
}

prefectures![
    ("hokkaido", "北海道", "Hokkaido", "北海道", "Hokkaido"),
    ("aomori", "青森県", "Aomori", "東北", "Tohoku"),
    ("iwate", "岩手県", "Iwate", "東北", "Tohoku"),
    ("miyagi", "宮城県", "Miyagi", "東北", "Tohoku"),
    ("akita", "秋田県", "Akita", "東北", "Tohoku"),
    ("yamagata", "山形県", "Yamagata", "東北", "Tohoku"),
    ("fukushima", "福島県", "Fukushima", "東北", "Tohoku"),
    ("ibaraki", "茨城県", "Ibaraki", "関東", "Kanto"),
    ("tochigi", "栃木県", "Tochigi", "関東", "Kanto"),
    ("gunma", "群馬県", "Gunma", "関東", "Kanto"),
    ("saitama", "埼玉県", "Saitama", "関東", "Kanto"),
    ("chiba", "千葉県", "Chiba", "関東", "Kanto"),
    ("tokyo", "東京都", "Tokyo", "関東", "Kanto"),
    ("kanagawa", "神奈川県", "Kanagawa", "関東", "Kanto"),
    ("niigata", "新潟県", "Niigata", "中部", "Chubu"),
    ("toyama", "富山県", "Toyama", "中部", "Chubu"),
    ("ishikawa", "石川県", "Ishikawa", "中部", "Chubu"),
    ("fukui", "福井県", "Fukui", "中部", "Chubu"),
    ("yamanashi", "山梨県", "Yamanashi", "中部", "Chubu"),
    ("nagano", "長野県", "Nagano", "中部", "Chubu"),
    ("gifu", "岐阜県", "Gifu", "中部", "Chubu"),
    ("shizuoka", "静岡県", "Shizuoka", "中部", "Chubu"),
    ("aichi", "愛知県", "Aichi", "中部", "Chubu"),
    ("mie", "三重県", "Mie", "近畿", "Kinki"),
    ("shiga", "滋賀県", "Shiga", "近畿", "Kinki"),
    ("kyoto", "京都府", "Kyoto", "近畿", "Kinki"),
    ("osaka", "大阪府", "Osaka", "近畿", "Kinki"),
    ("hyogo", "兵庫県", "Hyogo", "近畿", "Kinki"),
    ("nara", "奈良県", "Nara", "近畿", "Kinki"),
    ("wakayama", "和歌山県", "Wakayama", "近畿", "Kinki"),
    ("tottori", "鳥取県", "Tottori", "中国", "Chugoku"),
    ("shimane", "島根県", "Shimane", "中国", "Chugoku"),
    ("okayama", "岡山県", "Okayama", "中国", "Chugoku"),
    ("hiroshima", "広島県", "Hiroshima", "中国", "Chugoku"),
    ("yamaguchi", "山口県", "Yamaguchi", "中国", "Chugoku"),
    ("tokushima", "徳島県", "Tokushima", "四国", "Shikoku"),
    ("kagawa", "香川県", "Kagawa", "四国", "Shikoku"),
    ("ehime", "愛媛県", "Ehime", "四国", "Shikoku"),
    ("kochi", "高知県", "Kochi", "四国", "Shikoku"),
    (
        "fukuoka",
        "福岡県",
        "Fukuoka",
        "九州・沖縄",
        "Kyushu and Okinawa"
    ),
    ("saga", "佐賀県", "Saga", "九州・沖縄", "Kyushu and Okinawa"),
    (
        "nagasaki",
        "長崎県",
        "Nagasaki",
        "九州・沖縄",
        "Kyushu and Okinawa"
    ),
    (
        "kumamoto",
        "熊本県",
        "Kumamoto",
        "九州・沖縄",
        "Kyushu and Okinawa"
    ),
    ("oita", "大分県", "Oita", "九州・沖縄", "Kyushu and Okinawa"),
    (
        "miyazaki",
        "宮崎県",
        "Miyazaki",
        "九州・沖縄",
        "Kyushu and Okinawa"
    ),
    (
        "kagoshima",
        "鹿児島県",
        "Kagoshima",
        "九州・沖縄",
        "Kyushu and Okinawa"
    ),
    (
        "okinawa",
        "沖縄県",
        "Okinawa",
        "九州・沖縄",
        "Kyushu and Okinawa"
    ),
];

/// The slug of the national headquarters in the councils directory.
pub const NATIONAL: &str = "national";

pub fn prefecture(slug: &str) -> Option<&'static Prefecture> {
    PREFECTURES.iter().find(|p| p.slug == slug)
}

/// Loads every data file that exists; a missing file is an empty list.
pub fn load(root: &Path) -> (Data, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut data = Data {
        organizations: read_yaml(root, "organizations.yaml", &mut diagnostics).unwrap_or_default(),
        windows: read_yaml(root, "windows.yaml", &mut diagnostics).unwrap_or_default(),
        taxonomies: read_yaml(root, "taxonomies.yaml", &mut diagnostics).unwrap_or_default(),
        ..Data::default()
    };
    match read_yaml::<CouncilsFile>(root, "councils.yaml", &mut diagnostics) {
        Some(CouncilsFile::Listed(list)) => data.councils = list,
        Some(CouncilsFile::Dated { as_of, councils }) => {
            data.councils = councils;
            data.councils_as_of =
                as_of.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        }
        None => {}
    }
    validate(root, &data, &mut diagnostics);
    (data, diagnostics)
}

fn read_yaml<T: for<'de> Deserialize<'de>>(
    root: &Path,
    name: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    let path = root.join("data").join(name);
    let display = display_path(root, &path);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => {
            diagnostics.push(Diagnostic::error(
                display,
                Text::new(format!("読めません: {err}"), format!("cannot read: {err}")),
            ));
            return None;
        }
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        diagnostics.push(Diagnostic::error(
            display,
            Text::new("UTF-8 ではありません", "the file is not UTF-8"),
        ));
        return None;
    };
    match serde_saphyr::from_str::<T>(text) {
        Ok(value) => Some(value),
        Err(err) => {
            let (line, column) = err
                .location()
                .map(|l| (l.line() as usize, l.column() as usize))
                .unwrap_or((0, 0));
            let message = err.to_string();
            let message = message.lines().next().unwrap_or_default();
            diagnostics.push(
                Diagnostic::error(
                    display,
                    Text::new(
                        format!("データファイルの書き方に誤りがあります: {message}"),
                        format!("data file error: {message}"),
                    ),
                )
                .at(line, column),
            );
            None
        }
    }
}

fn validate(root: &Path, data: &Data, diagnostics: &mut Vec<Diagnostic>) {
    let orgs = display_path(root, &root.join("data/organizations.yaml"));
    let mut ids = HashSet::new();
    for org in &data.organizations {
        let valid = !org.id.is_empty()
            && org
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            diagnostics.push(
                Diagnostic::error(
                    &orgs,
                    Text::new(
                        format!(
                            "id `{}` には英小文字・数字・ハイフンだけを使ってください",
                            org.id
                        ),
                        format!(
                            "id `{}` may only use lower-case ASCII letters, digits and hyphens",
                            org.id
                        ),
                    ),
                )
                .field("id"),
            );
        }
        if !ids.insert(org.id.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    &orgs,
                    Text::new(
                        format!("id `{}` が重複しています", org.id),
                        format!("duplicate id `{}`", org.id),
                    ),
                )
                .field("id"),
            );
        }
    }
    validate_terms(root, data, diagnostics);
    let councils = display_path(root, &root.join("data/councils.yaml"));
    let mut seen = HashSet::new();
    for council in &data.councils {
        if council.prefecture != NATIONAL && prefecture(&council.prefecture).is_none() {
            let hint = suggest(&council.prefecture, PREFECTURES.iter().map(|p| p.slug));
            let mut d = Diagnostic::error(
                &councils,
                Text::new(
                    format!(
                        "`{}` は都道府県名（ローマ字）ではありません",
                        council.prefecture
                    ),
                    format!("`{}` is not a prefecture slug", council.prefecture),
                ),
            )
            .field("prefecture");
            if let Some(hint) = hint {
                d = d.help(Text::new(
                    format!("`{hint}` ではありませんか？"),
                    format!("did you mean `{hint}`?"),
                ));
            }
            diagnostics.push(d);
        }
        if !seen.insert(council.prefecture.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    &councils,
                    Text::new(
                        format!("`{}` が重複しています", council.prefecture),
                        format!("duplicate prefecture `{}`", council.prefecture),
                    ),
                )
                .field("prefecture"),
            );
        }
    }
}

/// A name (slug, label or alias) may stand for one term only: otherwise a
/// page's term would depend on the order of the list.
fn validate_terms(root: &Path, data: &Data, diagnostics: &mut Vec<Diagnostic>) {
    let file = display_path(root, &root.join("data/taxonomies.yaml"));
    for (taxonomy, terms) in &data.taxonomies {
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        for term in terms {
            let mut own: HashSet<&str> = HashSet::new();
            for name in term.names() {
                if !own.insert(name) {
                    continue;
                }
                if let Some(other) = owner.insert(name, &term.slug) {
                    diagnostics.push(
                        Diagnostic::error(
                            &file,
                            Text::new(
                                format!(
                                    "{taxonomy} の `{name}` が {other} と {} の両方にあります",
                                    term.slug
                                ),
                                format!(
                                    "in {taxonomy}, `{name}` names both {other} and {}",
                                    term.slug
                                ),
                            ),
                        )
                        .field(format!("{taxonomy}.{}", term.slug)),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_seven_prefectures_in_order() {
        assert_eq!(PREFECTURES.len(), 47);
        assert_eq!(PREFECTURES[0].slug, "hokkaido");
        assert_eq!(PREFECTURES[46].slug, "okinawa");
    }

    #[test]
    fn english_falls_back_to_japanese() {
        let l = Localized {
            ja: "横浜".into(),
            en: None,
        };
        assert_eq!(l.get(Lang::En), "横浜");
    }
}
