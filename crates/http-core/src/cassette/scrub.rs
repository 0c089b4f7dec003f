//! Scrubbing: secrets become a fixed placeholder, personal data becomes deterministic
//! pseudonyms, and a final check refuses cassettes that still look like they hold a secret.
//!
//! A [`ScrubConfig`] lists, per vendor, which field names are secret and which hold personal
//! data. "Field" means any place a name labels a value: a query parameter, a form field, a
//! header, a JSON object key (at any depth) or a CSV column (by header name). Field names are
//! compared case-insensitively.
//!
//! Scrubbing a cassette works in two passes so that one person maps to one pseudonym across
//! the whole cassette:
//!
//! 1. **collect**: every secret value and every personal value found in a configured field
//!    (plus every e-mail address anywhere in a text body, and every line of a configured
//!    line-list answer such as PUMAPI `getusers`) gets its replacement;
//! 2. **apply**: configured fields are replaced, and every other occurrence of a collected
//!    value in any text (plain-text lines, CSV cells, JSON strings, other form values) is
//!    replaced too, at word boundaries. A login in a `getuser` request therefore gets the same
//!    pseudonym as the same login in the `getusers` answer, and replay still matches.
//!
//! Pseudonyms are derived from a keyed hash of the value (the key is [`ScrubConfig::salt`]):
//! the same input always gives the same pseudonym, so re-recording gives stable cassettes.
//! Values that already look invented (e-mails at `example.org` and other reserved domains,
//! phone numbers in the fictional `555 01xx` range, the pseudonyms' own name lists, and
//! [`ScrubConfig::keep_value`] entries) are left alone, so scrubbing is idempotent.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use super::format::{Cassette, SECRET_PLACEHOLDER, StoredBody, split_lines};

/// What kind of personal data a field holds; decides the shape of its pseudonym.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PersonalKind {
    /// An e-mail address → `jane.roe042@example.org`.
    Email,
    /// A user name / login → `jroe042`.
    Login,
    /// A first name → one of a fixed list of invented first names.
    FirstName,
    /// A last name → one of a fixed list of invented last names.
    LastName,
    /// A full name → `Jane Roe` (or `Roe, Jane` if the original had a comma).
    FullName,
    /// A phone number → `+1 555 01xx` (a fictional range).
    Phone,
    /// A street address → `42 Example Street`.
    Address,
    /// Any other personal text (a company or person label) → `Example 3f2a`.
    Text,
    /// A date of birth or other personal date → a day of the year 1901 in the same format
    /// (`1980-02-29` → `1901-07-14`, `29/02/1980` → `14/07/1901`); anything that is not a
    /// recognisable date becomes `Text`.
    Date,
}

impl PersonalKind {
    fn tag(self) -> &'static str {
        match self {
            PersonalKind::Email => "email",
            PersonalKind::Login => "login",
            PersonalKind::FirstName => "first",
            PersonalKind::LastName => "last",
            PersonalKind::FullName => "full",
            PersonalKind::Phone => "phone",
            PersonalKind::Address => "address",
            PersonalKind::Text => "text",
            PersonalKind::Date => "date",
        }
    }
}

/// Secret field names every vendor shares.
pub const DEFAULT_SECRET_FIELDS: &[&str] = &[
    "apikey",
    "api_key",
    "x-api-key",
    "psapwd",
    "pwd",
    "password",
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-erp-token",
    "x-license-token",
];

/// Request headers kept in cassettes by default (secret ones are kept as the placeholder).
pub const DEFAULT_REQUEST_HEADERS: &[&str] = &["content-type", "accept"];

/// Response headers kept in cassettes by default.
pub const DEFAULT_RESPONSE_HEADERS: &[&str] = &["content-type", "retry-after", "location"];

const FIRST_NAMES: &[&str] = &[
    "Jane", "John", "Alex", "Sam", "Robin", "Kim", "Jo", "Max", "Lee", "Pat", "Chris", "Dana",
    "Jamie", "Casey", "Taylor", "Morgan",
];

const LAST_NAMES: &[&str] = &[
    "Doe",
    "Roe",
    "Poe",
    "Moe",
    "Example",
    "Sample",
    "Tester",
    "Dummy",
    "Fictive",
    "Placeholder",
    "Specimen",
    "Mock",
    "Stub",
    "Proef",
    "Voorbeeld",
    "Muster",
];

/// Per-vendor scrubbing rules. Start from [`ScrubConfig::new`] (the shared defaults) and add
/// the vendor's own fields.
///
/// ```
/// use billing_http_core::cassette::{PersonalKind, ScrubConfig};
/// let config = ScrubConfig::new()
///     .secret_field("code")
///     .personal_field("email", PersonalKind::Email)
///     .personal_field("login", PersonalKind::Login)
///     .line_list("action", "getusers", PersonalKind::Login);
/// assert!(config.is_secret_field("APIKEY"));
/// assert_eq!(config.personal_kind("Email"), Some(PersonalKind::Email));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScrubConfig {
    secret_fields: BTreeSet<String>,
    personal_fields: BTreeMap<String, PersonalKind>,
    line_lists: Vec<LineListRule>,
    request_headers: BTreeSet<String>,
    response_headers: BTreeSet<String>,
    keep_values: BTreeSet<String>,
    salt: String,
}

/// "Every line of the answer to a request whose form or query field `field` equals `value` is
/// personal data of kind `kind`" (PUMAPI `getusers` answers one login per line).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LineListRule {
    /// Request field to look at (e.g. `action`).
    pub field: String,
    /// Value it must have (e.g. `getusers`).
    pub value: String,
    /// Kind of every line of the answer.
    pub kind: PersonalKind,
}

impl Default for ScrubConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ScrubConfig {
    /// The shared defaults: [`DEFAULT_SECRET_FIELDS`], [`DEFAULT_REQUEST_HEADERS`],
    /// [`DEFAULT_RESPONSE_HEADERS`], no personal fields.
    pub fn new() -> Self {
        ScrubConfig {
            secret_fields: DEFAULT_SECRET_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            personal_fields: BTreeMap::new(),
            line_lists: Vec::new(),
            request_headers: DEFAULT_REQUEST_HEADERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            response_headers: DEFAULT_RESPONSE_HEADERS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            keep_values: BTreeSet::new(),
            salt: "billing-sdk-fixtures".to_owned(),
        }
    }

    /// Adds a secret field name.
    pub fn secret_field(mut self, name: &str) -> Self {
        self.secret_fields.insert(name.to_ascii_lowercase());
        self
    }

    /// Adds a personal-data field name.
    pub fn personal_field(mut self, name: &str, kind: PersonalKind) -> Self {
        self.personal_fields.insert(name.to_ascii_lowercase(), kind);
        self
    }

    /// Adds a line-list rule (see [`LineListRule`]).
    pub fn line_list(mut self, field: &str, value: &str, kind: PersonalKind) -> Self {
        self.line_lists.push(LineListRule {
            field: field.to_owned(),
            value: value.to_owned(),
            kind,
        });
        self
    }

    /// Keeps another request header in cassettes.
    pub fn request_header(mut self, name: &str) -> Self {
        self.request_headers.insert(name.to_ascii_lowercase());
        self
    }

    /// Keeps another response header in cassettes.
    pub fn response_header(mut self, name: &str) -> Self {
        self.response_headers.insert(name.to_ascii_lowercase());
        self
    }

    /// A value that is known to be invented and is never pseudonymised (e.g. `jdoe`).
    pub fn keep_value(mut self, value: &str) -> Self {
        self.keep_values.insert(value.to_owned());
        self
    }

    /// Sets the key of the pseudonym hash. Keep the default for reproducible fixtures; set a
    /// private value if dictionary attacks on pseudonyms of real names worry you.
    pub fn salt(mut self, salt: &str) -> Self {
        self.salt = salt.to_owned();
        self
    }

    /// `true` if `name` is a secret field.
    pub fn is_secret_field(&self, name: &str) -> bool {
        self.secret_fields.contains(&name.to_ascii_lowercase())
    }

    /// The kind of personal data `name` holds, if any.
    pub fn personal_kind(&self, name: &str) -> Option<PersonalKind> {
        self.personal_fields
            .get(&name.to_ascii_lowercase())
            .copied()
    }

    /// `true` if a request header named `name` is kept (secret headers are kept as the
    /// placeholder).
    pub fn keeps_request_header(&self, name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        self.request_headers.contains(&n) || self.secret_fields.contains(&n)
    }

    /// `true` if a response header named `name` is kept.
    pub fn keeps_response_header(&self, name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        self.response_headers.contains(&n) || self.secret_fields.contains(&n)
    }

    /// The secret field names (lower case).
    pub fn secret_fields(&self) -> impl Iterator<Item = &str> {
        self.secret_fields.iter().map(String::as_str)
    }

    /// The pseudonym of `value` as personal data of `kind` (or the value itself if it already
    /// looks invented).
    pub fn pseudonym(&self, kind: PersonalKind, value: &str) -> String {
        self.pseudonym_attempt(kind, value, 0)
    }

    /// The `attempt`-th alternative pseudonym (0 = the normal one), used when two values of a
    /// cassette would otherwise share an e-mail or login pseudonym.
    fn pseudonym_attempt(&self, kind: PersonalKind, value: &str, attempt: u32) -> String {
        if self.looks_invented(kind, value) {
            return value.to_owned();
        }
        let mut key = value.trim().to_lowercase();
        if attempt > 0 {
            key.push_str(&format!("\u{0}{attempt}"));
        }
        let h = keyed_hash(&self.salt, kind.tag(), &key);
        let first = FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[((h >> 8) % LAST_NAMES.len() as u64) as usize];
        let n = (h >> 16) % 1000;
        match kind {
            PersonalKind::Email => format!(
                "{}.{}{n:03}@example.org",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            PersonalKind::Login => {
                format!("{}{}{n:03}", first[..1].to_lowercase(), last.to_lowercase())
            }
            PersonalKind::FirstName => first.to_owned(),
            PersonalKind::LastName => last.to_owned(),
            PersonalKind::FullName => {
                if value.contains(',') {
                    format!("{last}, {first}")
                } else {
                    format!("{first} {last}")
                }
            }
            PersonalKind::Phone => format!("+1 555 01{:02}", n % 100),
            PersonalKind::Address => format!("{} Example Street", n + 1),
            PersonalKind::Text => format!("Example {:04x}", (h >> 32) & 0xffff),
            PersonalKind::Date => {
                fake_date(value, h).unwrap_or_else(|| format!("Example {:04x}", (h >> 32) & 0xffff))
            }
        }
    }

    fn looks_invented(&self, kind: PersonalKind, value: &str) -> bool {
        let v = value.trim();
        if self.keep_values.contains(v) || v == SECRET_PLACEHOLDER {
            return true;
        }
        let lower = v.to_lowercase();
        let in_list = |list: &[&str], s: &str| list.iter().any(|n| n.eq_ignore_ascii_case(s));
        match kind {
            PersonalKind::Email => email_domain_is_reserved(&lower),
            PersonalKind::Login => {
                let digits = lower
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                let stem = &lower[..lower.len() - digits];
                digits == 3 && stem.get(1..).is_some_and(|rest| in_list(LAST_NAMES, rest))
            }
            PersonalKind::FirstName => in_list(FIRST_NAMES, v),
            PersonalKind::LastName => in_list(LAST_NAMES, v),
            PersonalKind::FullName => {
                let parts: Vec<&str> = v.split([' ', ',']).filter(|p| !p.is_empty()).collect();
                !parts.is_empty()
                    && parts
                        .iter()
                        .all(|p| in_list(FIRST_NAMES, p) || in_list(LAST_NAMES, p))
            }
            PersonalKind::Phone => {
                let digits: String = v.chars().filter(|c| c.is_ascii_digit()).collect();
                digits.contains("55501")
            }
            PersonalKind::Address => lower.contains("example"),
            PersonalKind::Text => lower.starts_with("example"),
            PersonalKind::Date => {
                lower.starts_with("example") || date_groups(v).is_some_and(|(y, ..)| y == 1901)
            }
        }
    }

    /// Scrubs `cassette` in place (see the [module docs](crate::cassette::scrub)). `known_secrets` are secret
    /// values (e.g. the credentials used for recording) replaced wherever they appear.
    pub fn scrub(&self, cassette: &mut Cassette, known_secrets: &[&str]) {
        let mut map = Replacements::default();
        for s in known_secrets {
            map.secret(s);
        }
        for interaction in &cassette.interactions {
            let req = &interaction.request;
            for (k, v) in req.query.iter().chain(req.form.iter().flatten()) {
                self.collect_pair(&mut map, k, v);
            }
            for (k, v) in &req.headers {
                self.collect_pair(&mut map, k, v);
            }
            if let Some(json) = &req.json {
                self.collect_json(&mut map, None, json);
            }
            self.collect_body(&mut map, &req.body);
            for (k, v) in &interaction.response.headers {
                self.collect_pair(&mut map, k, v);
            }
            self.collect_body(&mut map, &interaction.response.body);
            if let Some(rule) = self.line_lists.iter().find(|r| {
                req.query
                    .iter()
                    .chain(req.form.iter().flatten())
                    .any(|(k, v)| *k == r.field && *v == r.value)
            }) && let Some(text) = interaction.response.body.text()
            {
                for line in text.lines() {
                    // One value per line; edge punctuation (quotes, separators) is not part
                    // of it.
                    let v = line.trim_matches(|c: char| !c.is_alphanumeric());
                    self.add_personal(&mut map, rule.kind, v);
                }
            }
        }
        let replacer = map.into_replacer();
        if let Some(against) = &mut cassette.recorded_against {
            *against = replacer.apply(against);
        }
        for interaction in &mut cassette.interactions {
            let req = &mut interaction.request;
            for (k, v) in req.query.iter_mut().chain(req.form.iter_mut().flatten()) {
                *v = self.scrub_value(&replacer, k, v);
            }
            req.query.sort();
            if let Some(form) = &mut req.form {
                form.sort();
            }
            for (k, v) in req.headers.iter_mut() {
                *v = self.scrub_value(&replacer, k, v);
            }
            if let Some(json) = &mut req.json {
                self.scrub_json(&replacer, json);
            }
            self.scrub_body(&replacer, &mut req.body);
            for (k, v) in interaction.response.headers.iter_mut() {
                *v = self.scrub_value(&replacer, k, v);
            }
            self.scrub_body(&replacer, &mut interaction.response.body);
        }
    }

    fn collect_pair(&self, map: &mut Replacements, key: &str, value: &str) {
        if self.is_secret_field(key) {
            map.secret(value);
        } else if let Some(kind) = self.personal_kind(key) {
            self.add_personal(map, kind, value);
        }
    }

    fn add_personal(&self, map: &mut Replacements, kind: PersonalKind, value: &str) {
        let v = value.trim();
        // A value that already looks like a pseudonym of any kind is kept, so that scrubbing
        // a scrubbed cassette changes nothing (a pseudonymised e-mail on a line-list line
        // must not become a login pseudonym).
        const KINDS: [PersonalKind; 9] = [
            PersonalKind::Email,
            PersonalKind::Login,
            PersonalKind::FirstName,
            PersonalKind::LastName,
            PersonalKind::FullName,
            PersonalKind::Phone,
            PersonalKind::Address,
            PersonalKind::Text,
            PersonalKind::Date,
        ];
        if v.chars().count() < 2
            || v.eq_ignore_ascii_case("n/a")
            || self.looks_invented(kind, v)
            || KINDS.iter().any(|k| self.looks_invented(*k, v))
        {
            return;
        }
        if map.map.contains_key(v) {
            return;
        }
        // E-mails and logins identify people: two of them must not share a pseudonym.
        let unique = matches!(kind, PersonalKind::Email | PersonalKind::Login);
        let mut attempt = 0;
        let mut pseudonym = self.pseudonym_attempt(kind, v, attempt);
        while unique && attempt < 1000 && map.used.contains(&pseudonym) {
            attempt += 1;
            pseudonym = self.pseudonym_attempt(kind, v, attempt);
        }
        map.personal(v, pseudonym);
    }

    fn collect_json(&self, map: &mut Replacements, key: Option<&str>, value: &serde_json::Value) {
        use serde_json::Value as J;
        let secret = key.is_some_and(|k| self.is_secret_field(k));
        let personal = key.and_then(|k| self.personal_kind(k));
        match value {
            J::String(s) if secret => map.secret(s),
            J::Number(n) if secret => map.secret(&n.to_string()),
            J::String(s) => {
                if let Some(kind) = personal {
                    self.add_personal(map, kind, s);
                }
                self.collect_emails(map, s);
            }
            J::Array(items) => {
                for item in items {
                    self.collect_json(map, key, item);
                }
            }
            J::Object(obj) => {
                for (k, v) in obj {
                    // Inside a personal object (e.g. an address), leaves inherit its kind.
                    let child = if personal.is_some() && self.personal_kind(k).is_none() {
                        key
                    } else {
                        Some(k.as_str())
                    };
                    self.collect_json(map, child, v);
                }
            }
            _ => {}
        }
    }

    fn collect_body(&self, map: &mut Replacements, body: &StoredBody) {
        let Some(text) = body.text() else { return };
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
            self.collect_json(map, None, &json);
            return;
        }
        if let Some(table) = self.csv_table(&text) {
            for row in &table.rows {
                for (i, cell) in row.iter().enumerate() {
                    if let Some(name) = table.header.get(i) {
                        self.collect_pair(map, name, cell);
                    }
                }
            }
        }
        self.collect_emails(map, &text);
    }

    fn collect_emails(&self, map: &mut Replacements, text: &str) {
        for token in text.split(|c: char| {
            c.is_whitespace() || matches!(c, ',' | ';' | '"' | '\'' | '<' | '>' | '(' | ')')
        }) {
            let token = token.trim_end_matches('.');
            if looks_like_email(token) {
                self.add_personal(map, PersonalKind::Email, token);
            }
        }
    }

    /// A CSV table if the first line is a header naming at least one configured field.
    fn csv_table(&self, text: &str) -> Option<CsvTable> {
        let mut lines = text.lines();
        let header: Vec<String> = parse_csv_line(lines.next()?)
            .into_iter()
            .map(|h| h.trim().to_owned())
            .collect();
        if header.len() < 2
            || !header
                .iter()
                .any(|h| self.is_secret_field(h) || self.personal_kind(h).is_some())
        {
            return None;
        }
        let rows = lines
            .filter(|l| !l.trim().is_empty())
            .map(parse_csv_line)
            .collect();
        Some(CsvTable { header, rows })
    }

    fn scrub_value(&self, replacer: &Replacer, key: &str, value: &str) -> String {
        if self.is_secret_field(key) {
            if value.is_empty() {
                String::new()
            } else {
                SECRET_PLACEHOLDER.to_owned()
            }
        } else {
            replacer.apply(value)
        }
    }

    fn scrub_json(&self, replacer: &Replacer, value: &mut serde_json::Value) {
        use serde_json::Value as J;
        match value {
            J::String(s) => *s = replacer.apply(s),
            J::Array(items) => items.iter_mut().for_each(|i| self.scrub_json(replacer, i)),
            J::Object(obj) => {
                for (k, v) in obj.iter_mut() {
                    if self.is_secret_field(k) {
                        redact_json(v);
                    } else {
                        self.scrub_json(replacer, v);
                    }
                }
            }
            _ => {}
        }
    }

    fn scrub_body(&self, replacer: &Replacer, body: &mut StoredBody) {
        let Some(text) = body.text() else { return };
        let replaced = replacer.apply(&text);
        let is_hand_json = body.body_json.is_some();
        let mut new_text = replaced;
        if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&new_text) {
            // The textual pass keeps the bytes; fall back to re-serializing if it missed
            // something (escaped characters) or a secret field still holds a value.
            let before = json.clone();
            self.scrub_json(replacer, &mut json);
            if json != before || is_hand_json {
                if is_hand_json {
                    body.body_json = Some(json);
                    return;
                }
                new_text = serde_json::to_string(&json).unwrap_or(new_text);
            }
        }
        if new_text != text {
            *body = StoredBody {
                body_lines: Some(split_lines(&new_text)),
                ..StoredBody::default()
            };
        }
    }
}

fn redact_json(v: &mut serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::String(s) if s.is_empty() => {}
        J::String(_) | J::Number(_) => *v = J::String(SECRET_PLACEHOLDER.to_owned()),
        J::Array(items) => items.iter_mut().for_each(redact_json),
        J::Object(obj) => obj.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// Byte ranges of the three digit groups of a date.
type DigitGroups = [(usize, usize); 3];

/// Year, month, day and the byte ranges of the three digit groups of a date written
/// `YYYY?MM?DD...` or `DD?MM?YYYY...` (any one-character separators; trailing text such as a
/// time is kept as is).
fn date_groups(v: &str) -> Option<(u32, u32, u32, DigitGroups)> {
    let mut groups = Vec::new();
    let mut start = None;
    for (i, c) in v.char_indices().chain([(v.len(), ' ')]) {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push((s, i));
                start = None;
                if groups.len() == 3 {
                    break;
                }
            }
            _ => {}
        }
    }
    if groups.len() < 3 {
        return None;
    }
    let g = [groups[0], groups[1], groups[2]];
    let num = |(a, b): (usize, usize)| v[a..b].parse::<u32>().ok();
    let lens: Vec<usize> = g.iter().map(|(a, b)| b - a).collect();
    let (y, m, d) = match lens.as_slice() {
        [4, 1..=2, 1..=2] => (num(g[0])?, num(g[1])?, num(g[2])?),
        [1..=2, 1..=2, 4] => (num(g[2])?, num(g[1])?, num(g[0])?),
        _ => return None,
    };
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d, g))
}

/// A day of 1901 in the format of `original`.
fn fake_date(original: &str, h: u64) -> Option<String> {
    let (_, _, _, g) = date_groups(original)?;
    let day_of_year = ((h >> 40) % 365) as u32;
    const MONTHS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (mut month, mut day) = (1u32, day_of_year + 1);
    for len in MONTHS {
        if day <= len {
            break;
        }
        day -= len;
        month += 1;
    }
    let year_first = g[0].1 - g[0].0 == 4;
    let values = if year_first {
        [1901, month, day]
    } else {
        [day, month, 1901]
    };
    let mut out = String::new();
    let mut last = 0;
    for ((a, b), value) in g.iter().zip(values) {
        out.push_str(&original[last..*a]);
        let width = b - a;
        out.push_str(&format!("{value:0width$}"));
        last = *b;
    }
    out.push_str(&original[last..]);
    Some(out)
}

/// `local@domain.tld` with ordinary characters only.
fn looks_like_email(token: &str) -> bool {
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-'))
        && labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
}

fn email_domain_is_reserved(email: &str) -> bool {
    let domain = email.rsplit('@').next().unwrap_or("");
    matches!(domain, "example.org" | "example.com" | "example.net")
        || [".example", ".test", ".invalid", ".localhost"]
            .iter()
            .any(|s| domain.ends_with(s))
        || domain.ends_with(".example.org")
        || domain.ends_with(".example.com")
}

fn keyed_hash(salt: &str, tag: &str, value: &str) -> u64 {
    // FNV-1a, 64 bit: stable across Rust versions and platforms (std's hasher is not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in salt
        .bytes()
        .chain([0])
        .chain(tag.bytes())
        .chain([0])
        .chain(value.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Final avalanche so nearby inputs spread over the name lists.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

struct CsvTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Splits one CSV line into unquoted cells (`""` inside quotes is a quote).
pub(crate) fn parse_csv_line(line: &str) -> Vec<String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => in_quotes = !in_quotes,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

#[derive(Default)]
struct Replacements {
    map: BTreeMap<String, String>,
    used: std::collections::HashSet<String>,
}

impl Replacements {
    fn secret(&mut self, value: &str) {
        let v = value.trim();
        if v.is_empty() || v == SECRET_PLACEHOLDER {
            return;
        }
        // `Bearer abc` / `Basic abc`: the credential alone also goes.
        if let Some((scheme, cred)) = v.split_once(' ')
            && matches!(
                scheme.to_ascii_lowercase().as_str(),
                "bearer" | "basic" | "token"
            )
        {
            self.secret(cred);
        }
        if v.len() >= 3 {
            self.map.insert(v.to_owned(), SECRET_PLACEHOLDER.to_owned());
        }
    }

    fn personal(&mut self, value: &str, pseudonym: String) {
        // A secret wins over a pseudonym.
        if !self.map.contains_key(value) {
            self.used.insert(pseudonym.clone());
            self.map.insert(value.to_owned(), pseudonym);
        }
    }

    fn into_replacer(self) -> Replacer {
        let mut lengths: HashMap<u8, Vec<usize>> = HashMap::new();
        let mut exact = HashMap::new();
        for (k, v) in self.map {
            if k == v {
                continue;
            }
            lengths.entry(k.as_bytes()[0]).or_default().push(k.len());
            exact.insert(k, v);
        }
        for list in lengths.values_mut() {
            list.sort_unstable_by(|a, b| b.cmp(a));
            list.dedup();
        }
        Replacer { lengths, exact }
    }
}

/// Replaces collected values in one left-to-right pass (no chained replacements), longest
/// match first, only at word boundaries. At each position only the distinct lengths of the
/// values starting with that byte are tried, each with one hash lookup, so thousands of
/// values (a PPMS site's logins) cost little.
struct Replacer {
    lengths: HashMap<u8, Vec<usize>>,
    exact: HashMap<String, String>,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Replacer {
    fn apply(&self, text: &str) -> String {
        if self.exact.is_empty() {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        let mut copied = 0;
        while i < bytes.len() {
            let boundary_before = i == 0 || !is_word_byte(bytes[i - 1]);
            if boundary_before
                && text.is_char_boundary(i)
                && let Some(lengths) = self.lengths.get(&bytes[i])
            {
                let hit = lengths.iter().find_map(|&len| {
                    let end = i + len;
                    let boundary_after = end == bytes.len()
                        || (end < bytes.len()
                            && (!is_word_byte(bytes[end]) || !is_word_byte(bytes[end - 1])));
                    if !boundary_after || !text.is_char_boundary(end) {
                        return None;
                    }
                    self.exact.get(&text[i..end]).map(|v| (len, v))
                });
                if let Some((len, v)) = hit {
                    out.push_str(&text[copied..i]);
                    out.push_str(v);
                    i += len;
                    copied = i;
                    continue;
                }
            }
            i += 1;
        }
        out.push_str(&text[copied..]);
        out
    }
}

/// Where a secret-looking value was found. Never holds the value itself.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretFinding {
    /// Index of the interaction, or `None` for cassette metadata.
    pub interaction: Option<usize>,
    /// Where in the interaction (`request form "apikey"`, `response body line 3`).
    pub location: String,
    /// Why it looks secret.
    pub reason: String,
}

impl fmt::Display for SecretFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.interaction {
            Some(i) => write!(f, "interaction {i} {}: {}", self.location, self.reason),
            None => write!(f, "{}: {}", self.location, self.reason),
        }
    }
}

/// Looks for anything secret-looking left in `cassette`: a secret field (per `config`) whose
/// value is not the placeholder, a bearer/basic credential, a JWT, a long high-entropy token,
/// or one of `known_secrets`. Base64 bodies are not inspected. Returns where, never what.
pub fn find_secrets(
    cassette: &Cassette,
    config: &ScrubConfig,
    known_secrets: &[&str],
) -> Vec<SecretFinding> {
    let mut finder = Finder {
        config,
        known: known_secrets
            .iter()
            .map(|s| s.trim())
            .filter(|s| s.len() >= 4 && *s != SECRET_PLACEHOLDER)
            .collect(),
        findings: Vec::new(),
        interaction: None,
    };
    if let Some(against) = &cassette.recorded_against {
        finder.text("recorded_against", against);
    }
    for (i, interaction) in cassette.interactions.iter().enumerate() {
        finder.interaction = Some(i);
        let req = &interaction.request;
        finder.text("request path", &req.path);
        for (k, v) in &req.query {
            finder.pair("request query", k, v);
        }
        for (k, v) in req.form.iter().flatten() {
            finder.pair("request form", k, v);
        }
        for (k, v) in &req.headers {
            finder.pair("request header", k, v);
        }
        if let Some(json) = &req.json {
            finder.json("request json", None, json);
        }
        finder.body("request body", &req.body);
        for (k, v) in &interaction.response.headers {
            finder.pair("response header", k, v);
        }
        finder.body("response body", &interaction.response.body);
    }
    finder.findings
}

struct Finder<'a> {
    config: &'a ScrubConfig,
    known: Vec<&'a str>,
    findings: Vec<SecretFinding>,
    interaction: Option<usize>,
}

impl Finder<'_> {
    fn report(&mut self, location: String, reason: &str) {
        self.findings.push(SecretFinding {
            interaction: self.interaction,
            location,
            reason: reason.to_owned(),
        });
    }

    fn pair(&mut self, place: &str, key: &str, value: &str) {
        let v = value.trim();
        if self.config.is_secret_field(key) && !v.is_empty() && v != SECRET_PLACEHOLDER {
            self.report(format!("{place} {key:?}"), "secret field is not redacted");
            return;
        }
        self.text(&format!("{place} {key:?}"), value);
    }

    fn json(&mut self, place: &str, key: Option<&str>, value: &serde_json::Value) {
        use serde_json::Value as J;
        let secret = key.is_some_and(|k| self.config.is_secret_field(k));
        match value {
            J::String(s) if secret && !s.is_empty() && s != SECRET_PLACEHOLDER => self.report(
                format!("{place} field {:?}", key.unwrap_or("")),
                "secret field is not redacted",
            ),
            J::Number(_) if secret => self.report(
                format!("{place} field {:?}", key.unwrap_or("")),
                "secret field is not redacted",
            ),
            J::String(s) => self.text(&format!("{place} field {:?}", key.unwrap_or("")), s),
            J::Array(items) => items.iter().for_each(|i| self.json(place, key, i)),
            J::Object(obj) => obj.iter().for_each(|(k, v)| self.json(place, Some(k), v)),
            _ => {}
        }
    }

    fn body(&mut self, place: &str, body: &StoredBody) {
        let Some(text) = body.text() else { return };
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) {
            self.json(place, None, &json);
            return;
        }
        let table = self.config.csv_table(&text);
        for (n, line) in text.lines().enumerate() {
            if let (Some(t), true) = (&table, n > 0) {
                let cells = parse_csv_line(line);
                for (i, cell) in cells.iter().enumerate() {
                    if let Some(name) = t.header.get(i)
                        && self.config.is_secret_field(name)
                        && !cell.is_empty()
                        && cell != SECRET_PLACEHOLDER
                    {
                        self.report(
                            format!("{place} line {} column {name:?}", n + 1),
                            "secret field is not redacted",
                        );
                    }
                }
            }
            self.text(&format!("{place} line {}", n + 1), line);
        }
    }

    fn text(&mut self, place: &str, text: &str) {
        if self.known.iter().any(|k| text.contains(k)) {
            self.report(place.to_owned(), "contains a credential used for recording");
        }
        let lower = text.to_ascii_lowercase();
        for scheme in ["bearer ", "basic "] {
            let mut from = 0;
            while let Some(pos) = lower[from..].find(scheme) {
                let start = from + pos + scheme.len();
                let cred: String = text[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | ','))
                    .collect();
                if cred.len() >= 8 && cred != SECRET_PLACEHOLDER {
                    self.report(place.to_owned(), "contains a bearer/basic credential");
                }
                from = start;
            }
        }
        for token in text.split(|c: char| {
            // `-` separates (ids like `PPMS2-ExampleCore-20240131-DRAFT` are not keys).
            !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '_' | '='))
        }) {
            if looks_high_entropy(token) {
                self.report(place.to_owned(), "contains a long high-entropy string");
                break;
            }
        }
        if text.contains("eyJ") && text.matches('.').count() >= 2 {
            for token in text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'')) {
                let parts: Vec<&str> = token.split('.').collect();
                if parts.len() == 3 && parts[0].starts_with("eyJ") && parts[1].len() >= 8 {
                    self.report(place.to_owned(), "contains a JWT");
                    break;
                }
            }
        }
    }
}

/// `true` for a token of at least 24 characters that mixes upper case, lower case and digits
/// and has at least 4.2 bits of entropy per character (random keys do; words, UUIDs and hex
/// digests do not).
pub fn looks_high_entropy(token: &str) -> bool {
    if token.len() < 24 {
        return false;
    }
    let has = |f: fn(&char) -> bool| token.chars().any(|c| f(&c));
    if !(has(char::is_ascii_uppercase)
        && has(char::is_ascii_lowercase)
        && has(char::is_ascii_digit))
    {
        return false;
    }
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in token.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = token.chars().count() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy >= 4.2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_line_parser_handles_quotes_and_empty_cells() {
        assert_eq!(
            parse_csv_line("\"a, b\",\"say \"\"hi\"\"\",,x \r\n"),
            vec!["a, b", "say \"hi\"", "", "x"]
        );
    }

    #[test]
    fn replacer_respects_word_boundaries_and_does_not_chain() {
        let mut r = Replacements::default();
        r.personal("Al", "Bo".into());
        r.personal("Bo", "Cy".into());
        let rep = r.into_replacer();
        assert_eq!(rep.apply("Al Algebra Bo,Al"), "Bo Algebra Cy,Bo");
    }

    #[test]
    fn high_entropy_detects_keys_but_not_uuids_or_words() {
        assert!(looks_high_entropy("q8Zr2LmX0pWv7TnB4kYd9sHc3JfG"));
        assert!(!looks_high_entropy("0b0b0b0b-1111-4222-8333-444455556666"));
        assert!(!looks_high_entropy(
            "EXAMPLE0000000000000000000000000000000000"
        ));
        assert!(!looks_high_entropy("Antidisestablishmentarianism"));
        let c = ScrubConfig::new();
        let cassette = |v: &str| {
            let mut k = Cassette::new("v", "s");
            k.interactions.push(super::super::Interaction::new(
                super::super::RecordedRequest::new("GET", "/x").with_query("id", v),
                super::super::RecordedResponse::new(200, b""),
            ));
            k
        };
        assert!(find_secrets(&cassette("PPMS2-ExampleCore-20240131-DRAFT"), &c, &[]).is_empty());
        assert_eq!(
            find_secrets(&cassette("q8Zr2LmX0pWv7TnB4kYd9sHc3JfG"), &c, &[]).len(),
            1
        );
    }

    #[test]
    fn pseudonyms_are_deterministic_and_recognised_as_invented() {
        let c = ScrubConfig::new();
        let a = c.pseudonym(PersonalKind::Email, "Real.Person@corp.eu");
        assert_eq!(a, c.pseudonym(PersonalKind::Email, "real.person@corp.eu"));
        assert!(a.ends_with("@example.org"));
        assert_eq!(c.pseudonym(PersonalKind::Email, &a), a);
        let l = c.pseudonym(PersonalKind::Login, "rperson");
        assert_eq!(c.pseudonym(PersonalKind::Login, &l), l);
        let p = c.pseudonym(PersonalKind::Phone, "+32 9 123 45 67");
        assert_eq!(c.pseudonym(PersonalKind::Phone, &p), p);
        for original in ["1980-02-29", "29/02/1980", "1980/02/29 10:11"] {
            let d = c.pseudonym(PersonalKind::Date, original);
            assert_ne!(d, original);
            assert!(d.contains("1901"), "{d}");
            assert_eq!(d.len(), original.len(), "{d}");
            assert_eq!(c.pseudonym(PersonalKind::Date, &d), d, "idempotent");
        }
        assert!(
            c.pseudonym(PersonalKind::Date, "1980-02-29")
                .starts_with("1901-")
        );
        assert!(
            c.pseudonym(PersonalKind::Date, "1980/02/29 10:11")
                .ends_with(" 10:11")
        );
        assert!(
            c.pseudonym(PersonalKind::Date, "born in spring")
                .starts_with("Example ")
        );
    }
}
