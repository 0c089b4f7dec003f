//! Cloudspot: the recorded lists, looked up by `id` (CS-Q06), optionally extended with
//! generated articles and split into pages linked by `next` (CS-Q07).

use billing_http_core::cassette::RecordedRequest;
use serde_json::{Value, json};

use super::{Ctx, Model, Outcome, json, json_body, number_field, segments};

/// First id of the generated articles.
const FIRST_GENERATED_ID: u64 = 900_000;

/// The Cloudspot model.
#[derive(Debug)]
pub(crate) struct Cloudspot {
    articles: usize,
    page_size: Option<usize>,
}

/// The item with `id`, searching category trees (`children`) too.
fn find_by_id<'a>(items: &'a [Value], id: &str) -> Option<&'a Value> {
    items.iter().find_map(|item| {
        let own = match &item["id"] {
            Value::Number(n) => n.to_string() == id,
            Value::String(s) => s == id,
            _ => false,
        };
        if own {
            return Some(item);
        }
        item["children"]
            .as_array()
            .and_then(|children| find_by_id(children, id))
    })
}

/// Generated article `i`, shaped like the recorded `template`.
fn article(template: &Value, i: usize) -> Value {
    let mut a = template.clone();
    let id = FIRST_GENERATED_ID.saturating_add(i as u64);
    a["id"] = json!(id);
    if a.get("naam").is_some() {
        a["naam"] = json!(format!("Voorbeeldartikel {i}"));
    }
    if a.get("SKU").is_some() {
        a["SKU"] = json!(format!("VB-GEN-{i:05}"));
    }
    a
}

impl Cloudspot {
    pub(crate) fn new(articles: usize, page_size: Option<usize>) -> Self {
        Cloudspot {
            articles,
            page_size,
        }
    }
}

impl Model for Cloudspot {
    fn answer(&self, req: &RecordedRequest, ctx: &Ctx<'_>) -> Outcome {
        let segs = segments(&req.path);
        let Some(&list) = segs.last() else {
            return Outcome::Pass;
        };
        // Every path ends in a slash (CS-Q10); customers have no lookup by id (CS-Q16).
        let lookup = matches!(list, "artikels" | "categories");
        if req.method != "GET"
            || !req.path.ends_with('/')
            || !(lookup || list == "klanten")
            || req.form.is_some()
            || req.json.is_some()
        {
            return Outcome::Pass;
        }
        let allowed = |k: &str| (k == "id" && lookup) || (k == "page" && self.page_size.is_some());
        if !req.query.iter().all(|(k, _)| allowed(k)) {
            return Outcome::Pass;
        }
        let source = RecordedRequest::new("GET", &req.path);
        let Some(mut items) = (ctx.recorded)(&source)
            .as_ref()
            .and_then(json_body)
            .and_then(|b| b.get("data").and_then(Value::as_array).cloned())
        else {
            return Outcome::Pass;
        };
        if list == "artikels"
            && let Some(template) = items.first().cloned()
        {
            items.extend((0..self.articles).map(|i| article(&template, i)));
        }
        if let Some(id) = req.field("id") {
            return match find_by_id(&items, id.trim()) {
                Some(item) => Outcome::Answer(json(200, &json!({ "data": [item] }))),
                // The only not-found signal is an empty list (CS-Q06).
                None => Outcome::Unknown(json(200, &json!({ "data": [] }))),
            };
        }
        let Some(size) = self.page_size else {
            return Outcome::Answer(json(200, &json!({ "data": items })));
        };
        let page = number_field(req, "page").unwrap_or(1).max(1);
        let start = (page - 1).saturating_mul(size).min(items.len());
        let end = start.saturating_add(size).min(items.len());
        let next = (end < items.len()).then(|| {
            let mut url = ctx.base.clone();
            url.set_path(&format!(
                "{}{}",
                ctx.base.path(),
                req.path.trim_start_matches('/')
            ));
            url.set_query(Some(&format!("page={}", page + 1)));
            url.to_string()
        });
        Outcome::Answer(json(
            200,
            &json!({ "count": items.len(), "next": next, "data": &items[start..end] }),
        ))
    }
}
