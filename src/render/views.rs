//! What templates see: plain serializable views of the content, built once
//! per item and shared by every list that shows it.

use super::Site;
use crate::catalog::Item;
use crate::content::{EventFormat, Page, PageKind, Status};
use crate::data::{Council, Organization, prefecture};
use crate::format::Lang;
use crate::markdown::Heading;
use serde::Serialize;
use serde_json::{Map, Value, json};

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct TermRef {
    pub slug: String,
    pub name: String,
    pub url: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrgRef {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub start: String,
    pub end: String,
    pub all_day: bool,
    pub format: EventFormat,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub online_url: Option<String>,
    pub fee: Option<i64>,
    pub capacity: Option<i64>,
    pub registration_url: Option<String>,
    pub registration_deadline: Option<String>,
    pub co_organizers: Vec<OrgRef>,
    pub event_status: crate::content::EventStatus,
    pub contact: Option<String>,
    pub withdrawn: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct NoticeView {
    pub opens: Option<String>,
    pub closes: String,
    pub max_amount: Option<i64>,
    pub subsidy_rate: Option<String>,
    pub eligibility: Option<String>,
    pub issuer: Option<String>,
    pub official_url: Option<String>,
    pub withdrawn: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProgramView {
    pub target: Option<String>,
    pub contact_phone: Option<String>,
    pub official_url: Option<String>,
}

/// A page as templates see it. Lists get it without `content`.
#[derive(Clone, Debug, Serialize)]
pub struct PageView {
    pub kind: &'static str,
    pub title: String,
    pub description: Option<String>,
    pub url: String,
    pub permalink: String,
    pub lang: Lang,
    /// Shown in English but written only in Japanese.
    pub fallback: bool,
    /// For a fallback, the original and its language.
    pub original_url: Option<String>,
    pub original_lang: Lang,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub status: Option<Status>,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub headings: Vec<Heading>,
    pub organizer: Option<OrgRef>,
    pub categories: Vec<TermRef>,
    pub regions: Vec<TermRef>,
    pub event: Option<EventView>,
    pub notice: Option<NoticeView>,
    pub program: Option<ProgramView>,
    pub extra: Map<String, Value>,
    pub json_ld: Option<String>,
}

impl Site<'_> {
    pub fn org_ref(&self, id: &str, lang: Lang) -> OrgRef {
        match self.data.organization(id) {
            Some(org) => OrgRef {
                id: org.id.clone(),
                name: org.name.get(lang).to_string(),
                url: Some(format!("{}/organizations/{}/", lang.prefix(), org.id)),
            },
            None => OrgRef {
                id: id.to_string(),
                name: id.to_string(),
                url: None,
            },
        }
    }

    /// The terms of a taxonomy on a page, resolved to their labelled form.
    pub fn terms(&self, page: &Page, taxonomy: &str, lang: Lang) -> Vec<TermRef> {
        let Some(written) = page.meta.taxonomies.get(taxonomy) else {
            return Vec::new();
        };
        let mut terms: Vec<TermRef> = Vec::new();
        for term in written {
            let (slug, name) = self.resolve_term(taxonomy, term, lang);
            if terms.iter().any(|t| t.slug == slug) {
                continue;
            }
            terms.push(TermRef {
                url: super::lists::term_url(taxonomy, lang, &slug),
                slug,
                name,
            });
        }
        terms
    }

    pub fn resolve_term(&self, taxonomy: &str, written: &str, lang: Lang) -> (String, String) {
        self.data.resolve_term(taxonomy, written, lang)
    }

    pub fn page_view(&self, item_index: usize, full: bool) -> PageView {
        let item: &Item = &self.catalog.items[item_index];
        let page = &self.content.pages[item.page];
        let lang = item.lang;
        let body = &self.bodies[item.page];
        let original_url = if item.fallback {
            self.catalog
                .item(&page.key, page.lang)
                .map(|original| original.url.clone())
        } else {
            None
        };
        let mut view = PageView {
            kind: page.kind.name(),
            title: page.meta.title.clone(),
            description: page.meta.description.clone(),
            url: item.url.clone(),
            permalink: self.config.absolute(&item.url),
            lang,
            fallback: item.fallback,
            original_url,
            original_lang: page.lang,
            date: sort_date(page).map(|d| d.to_string()),
            updated: page.meta.updated.map(|d| d.to_string()),
            status: page.kind.status(self.now),
            summary: body.summary.clone(),
            content: None,
            headings: Vec::new(),
            organizer: page.kind.organizer().map(|id| self.org_ref(id, lang)),
            categories: self.terms(page, "categories", lang),
            regions: self.terms(page, "regions", lang),
            event: None,
            notice: None,
            program: None,
            extra: page.meta.extra.clone(),
            json_ld: None,
        };
        match &page.kind {
            PageKind::Event(e) => {
                view.event = Some(EventView {
                    start: e.start.to_string(),
                    end: e.end.to_string(),
                    all_day: !e.start.has_time(),
                    format: e.format,
                    venue: e.venue.clone(),
                    address: e.address.clone(),
                    online_url: e.online_url.clone(),
                    fee: e.fee,
                    capacity: e.capacity,
                    registration_url: e.registration_url.clone(),
                    registration_deadline: e.registration_deadline.map(|d| d.to_string()),
                    co_organizers: e
                        .co_organizers
                        .iter()
                        .map(|id| self.org_ref(id, lang))
                        .collect(),
                    event_status: e.event_status,
                    contact: e.contact.clone(),
                    withdrawn: e.withdrawn,
                })
            }
            PageKind::Notice(n) => {
                view.notice = Some(NoticeView {
                    opens: n.opens.map(|d| d.to_string()),
                    closes: n.closes.to_string(),
                    max_amount: n.max_amount,
                    subsidy_rate: n.subsidy_rate.clone(),
                    eligibility: n.eligibility.clone(),
                    issuer: n.issuer.clone(),
                    official_url: n.official_url.clone(),
                    withdrawn: n.withdrawn,
                })
            }
            PageKind::Program(p) => {
                view.program = Some(ProgramView {
                    target: p.target.clone(),
                    contact_phone: p.contact_phone.clone(),
                    official_url: p.official_url.clone(),
                })
            }
            PageKind::Plain => {}
        }
        if full {
            if !item.fallback {
                view.content = Some(body.html.clone());
                view.headings = body.headings.clone();
            }
            view.json_ld = json_ld(self, page, &view);
        }
        view
    }

    pub fn council_view(&self, council: &Council, lang: Lang) -> Value {
        let pref = prefecture(&council.prefecture);
        json!({
            "prefecture": council.prefecture,
            "prefecture_name": pref.map(|p| if lang == Lang::Ja { p.ja } else { p.en }),
            "region": pref.map(|p| if lang == Lang::Ja { p.region_ja } else { p.region_en }),
            "national": pref.is_none(),
            "name": council.name.get(lang),
            "host": council.host.get(lang),
            "postal_code": council.postal_code,
            "address": council.address.as_ref().map(|a| a.get(lang)),
            "phone": council.phone,
            "url": format!("{}/councils/{}/", lang.prefix(), council.prefecture),
            "translated": lang == Lang::Ja || council.name.en.is_some(),
        })
    }

    pub fn organization_view(&self, org: &Organization, lang: Lang) -> Value {
        json!({
            "id": org.id,
            "name": org.name.get(lang),
            "name_ja": org.name.ja,
            "short_name": org.short_name.as_ref().map(|s| s.get(lang)),
            "url": format!("{}/organizations/{}/", lang.prefix(), org.id),
            "website": org.url,
            "phone": org.phone,
            "address": org.address.as_ref().map(|a| a.get(lang)),
        })
    }
}

/// The date a page is sorted and shown by: an event's start, a notice's
/// opening (or its close), else the page date.
pub fn sort_date(page: &Page) -> Option<crate::when::When> {
    match &page.kind {
        PageKind::Event(e) => Some(e.start),
        PageKind::Notice(n) => Some(n.opens.unwrap_or(n.closes)),
        _ => page.meta.date,
    }
}

/// schema.org data for search engines: `Event` for events,
/// `GovernmentService` for programs. Serialized so that no `<` can end the
/// script element early, whatever a title contains.
fn json_ld(site: &Site<'_>, page: &Page, view: &PageView) -> Option<String> {
    let value = match &page.kind {
        PageKind::Event(e) => {
            let attendance = match e.format {
                EventFormat::Onsite => "https://schema.org/OfflineEventAttendanceMode",
                EventFormat::Online => "https://schema.org/OnlineEventAttendanceMode",
                EventFormat::Hybrid => "https://schema.org/MixedEventAttendanceMode",
            };
            let status = match e.event_status {
                crate::content::EventStatus::Scheduled => "https://schema.org/EventScheduled",
                crate::content::EventStatus::Cancelled => "https://schema.org/EventCancelled",
                crate::content::EventStatus::Postponed => "https://schema.org/EventPostponed",
            };
            let mut locations = Vec::new();
            if let Some(venue) = &e.venue {
                let mut place = json!({"@type": "Place", "name": venue});
                if let Some(address) = &e.address {
                    place["address"] = json!(address);
                }
                locations.push(place);
            }
            if let Some(url) = &e.online_url {
                locations.push(json!({"@type": "VirtualLocation", "url": url}));
            }
            let mut event = json!({
                "@context": "https://schema.org",
                "@type": "Event",
                "name": view.title,
                "startDate": e.start.to_string(),
                "endDate": e.end.to_string(),
                "eventStatus": status,
                "eventAttendanceMode": attendance,
                "url": view.permalink,
                "inLanguage": page.lang.code(),
            });
            if !locations.is_empty() {
                event["location"] = if locations.len() == 1 {
                    locations.remove(0)
                } else {
                    Value::Array(locations)
                };
            }
            if let Some(description) = &view.description {
                event["description"] = json!(description);
            }
            if let Some(org) = &view.organizer {
                event["organizer"] = json!({"@type": "Organization", "name": org.name,
                    "url": org.url.as_ref().map(|u| site.config.absolute(u))});
            }
            if let Some(fee) = e.fee {
                event["offers"] = json!({"@type": "Offer", "price": fee, "priceCurrency": "JPY",
                    "url": e.registration_url.clone().unwrap_or_else(|| view.permalink.clone())});
            }
            event
        }
        PageKind::Program(p) => {
            let mut service = json!({
                "@context": "https://schema.org",
                "@type": "GovernmentService",
                "name": view.title,
                "url": view.permalink,
                "areaServed": "神奈川県",
            });
            if let Some(description) = &view.description {
                service["description"] = json!(description);
            }
            if let Some(org) = &view.organizer {
                service["provider"] = json!({"@type": "Organization", "name": org.name});
            }
            if let Some(target) = &p.target {
                service["audience"] = json!({"@type": "BusinessAudience", "name": target});
            }
            service
        }
        _ => return None,
    };
    Some(script_safe_json(&value))
}

/// JSON that can sit inside `<script>`: `<`, `>` and `&` are escaped as
/// `\u003c` etc., which JSON parsers read back unchanged.
pub fn script_safe_json(value: &Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
