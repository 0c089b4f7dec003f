//! Webhooks API v2 (feature `webhooks`, W01–W15) and a receiver helper (PAX8-Q47).
//!
//! The Webhooks API lives at `https://api.pax8.com/api/v2` (configurable with
//! [`ClientBuilder::webhooks_base_url`](crate::ClientBuilder::webhooks_base_url)); posting to
//! `/v1/webhooks` is wrong. Deliveries are `POST`s with a JSON [`WebhookPayload`]; Pax8
//! authenticates them **only** with the `Authorization` value configured on the webhook (no
//! HMAC signature is documented). Check it with [`WebhookReceiver`], which compares in constant
//! time. Answer within 10 s (Pax8 marks slower deliveries failed), and treat a delivery as a
//! notification: read the current state from the API, since deliveries can lag by up to
//! 5 minutes and are not a full state transfer.

use std::fmt;

use billing_http_core::{Method, Request};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use billing_http_core::wire_enum;

use crate::client::{Api, Client, Write, clamp_page_size};
use crate::error::Error;
use crate::model::de;
use crate::model::{Page, Pax8DateTime};
use crate::pagination::Paginator;
use crate::paths::seg;
use crate::query::{opt, paging, setters};

wire_enum!(
    /// Delivery status of a webhook log or call.
    pub enum WebhookDeliveryStatus (IgnoreCase) {
        /// Pending.
        Pending => "PENDING",
        /// Delivered.
        Success => "SUCCESS",
        /// Failed.
        Failed => "FAILED",
        /// Being retried.
        Retrying => "RETRYING",
    }
);

wire_enum!(
    /// Operator of a topic filter condition.
    pub enum FilterOperator (IgnoreCase) {
        /// Equals.
        Equals => "EQUALS",
        /// Not equal.
        NotEquals => "NOT_EQUALS",
        /// Greater than.
        GreaterThan => "GREATER_THAN",
        /// Less than.
        LessThan => "LESS_THAN",
        /// One of.
        In => "IN",
        /// None of.
        NotIn => "NOT_IN",
        /// Contains.
        Contains => "CONTAINS",
    }
);

wire_enum!(
    /// Line-item `type` of subscription events (from Pax8's webhook docs).
    pub enum SubscriptionEventType (IgnoreCase) {
        /// New.
        New => "New",
        /// Change.
        Change => "Change",
        /// Partial change.
        ChangePartial => "ChangePartial",
        /// Product change.
        ChangeProduct => "ChangeProduct",
        /// Rate plan update.
        UpdateRatePlan => "UpdateRatePlan",
        /// Spiff price adjustment.
        SpiffPriceAdjustment => "SpiffPriceAdjustment",
        /// Renewal.
        Renewal => "Renewal",
        /// Cancellation.
        Cancel => "Cancel",
        /// Resurrection.
        Resurrect => "Resurrect",
        /// Migration.
        Migration => "Migration",
        /// Parent reassignment.
        ParentReassignment => "ParentReassignment",
        /// Trial created.
        TrialCreate => "TrialCreate",
        /// Trial converted.
        TrialConvert => "TrialConvert",
        /// Trial cancelled.
        TrialCancel => "TrialCancel",
        /// Arrears upload.
        ArrearsUpload => "ArrearsUpload",
        /// Revert to current.
        RevertToCurrent => "RevertToCurrent",
    }
);

billing_http_core::string_id! {
    /// Id of a webhook.
    WebhookId,
    /// Id of a topic subscription of a webhook.
    WebhookTopicId,
    /// Id of a delivery log.
    WebhookLogId,
}

crate::model::models!(Webhook, TopicDefinition, WebhookLog);

impl crate::model::Model for WebhookTest {
    fn extra_mut(&mut self) -> Option<&mut Map<String, Value>> {
        None
    }
}

/// One condition of a topic filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FilterCondition {
    /// Field name.
    pub field: String,
    /// Operator.
    pub operator: FilterOperator,
    /// Values.
    #[serde(default, deserialize_with = "de::null_default")]
    pub value: Vec<String>,
}

impl FilterCondition {
    /// A condition.
    pub fn new(field: impl Into<String>, operator: FilterOperator, value: Vec<String>) -> Self {
        Self {
            field: field.into(),
            operator,
            value,
        }
    }
}

/// A topic filter: an action (such as `CREATED`) and its conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TopicFilter {
    /// Action, such as `CREATED`.
    pub action: String,
    /// Conditions.
    #[serde(default, deserialize_with = "de::null_default")]
    pub conditions: Vec<FilterCondition>,
}

impl TopicFilter {
    /// A filter on `action` with no condition.
    pub fn action(action: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            conditions: Vec::new(),
        }
    }
}

/// A topic subscription of a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookTopic {
    /// Topic id (responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<WebhookTopicId>,
    /// Topic name, such as `INVOICE`.
    pub topic: String,
    /// Filters.
    #[serde(default, deserialize_with = "de::null_default")]
    pub filters: Vec<TopicFilter>,
}

impl WebhookTopic {
    /// A topic with filters.
    pub fn new(topic: impl Into<String>, filters: Vec<TopicFilter>) -> Self {
        Self {
            id: None,
            topic: topic.into(),
            filters,
        }
    }
}

/// A webhook (W01, W02, W04, W06–W11).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Webhook {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<WebhookId>,
    /// Account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Delivery URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The `Authorization` value Pax8 sends with deliveries (redacted in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
    /// Whether it is active.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_bool"
    )]
    pub active: Option<bool>,
    /// Contact e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// Failures before deactivation.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_u32"
    )]
    pub error_threshold: Option<u32>,
    /// Integration id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// Topics.
    #[serde(default, deserialize_with = "de::null_default")]
    pub webhook_topics: Vec<WebhookTopic>,
    /// Last delivery status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_delivery_status: Option<WebhookDeliveryStatus>,
    /// Creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Pax8DateTime>,
    /// Last update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Pax8DateTime>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("url", &self.url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "[REDACTED]"),
            )
            .field("active", &self.active)
            .field("webhook_topics", &self.webhook_topics)
            .field("last_delivery_status", &self.last_delivery_status)
            .finish_non_exhaustive()
    }
}

/// Body of `POST /webhooks` (W02).
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateWebhook {
    /// Display name (required).
    pub display_name: String,
    /// Delivery URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The value Pax8 will send in `Authorization`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
    /// Active from the start (server default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Contact e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// Failures before deactivation (at most 20, server default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_threshold: Option<u32>,
    /// Integration id (third-party integrators).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// Topics (one of each topic at most).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhook_topics: Vec<WebhookTopic>,
}

impl fmt::Debug for CreateWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateWebhook")
            .field("display_name", &self.display_name)
            .field("url", &self.url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "[REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

impl CreateWebhook {
    /// A webhook named `display_name` delivering to `url` with `authorization`.
    pub fn new(
        display_name: impl Into<String>,
        url: impl Into<String>,
        authorization: impl Into<String>,
    ) -> Self {
        Self {
            display_name: display_name.into(),
            url: Some(url.into()),
            authorization: Some(authorization.into()),
            active: None,
            contact_email: None,
            error_threshold: None,
            integration_id: None,
            webhook_topics: Vec::new(),
        }
    }

    /// Adds a topic.
    pub fn topic(mut self, topic: WebhookTopic) -> Self {
        self.webhook_topics.push(topic);
        self
    }

    /// Sets `active`.
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }
}

/// Body of `POST /webhooks/{id}/configuration` (W06); every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookConfiguration {
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Delivery URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `Authorization` value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
    /// Contact e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// Error threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_threshold: Option<u32>,
}

setters!(WebhookConfiguration {
    /// Sets the display name.
    display_name: String,
    /// Sets the URL.
    url: String,
    /// Sets the `Authorization` value.
    authorization: String,
    /// Sets the contact e-mail.
    contact_email: String,
    /// Sets the error threshold.
    error_threshold: u32,
});

/// A topic Pax8 can deliver (W03).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TopicDefinition {
    /// Topic, such as `INVOICE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Filters available for the topic (free-form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_filters: Option<Value>,
    /// Sample payload (free-form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_payload: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Result of a test delivery (W12).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookTest {
    /// URL called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Value>,
    /// The payload sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_payload: Option<Value>,
}

/// One delivery attempt in a [`WebhookLog`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookCall {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Pax8DateTime>,
    /// Status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WebhookDeliveryStatus>,
    /// Error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// HTTP status the receiver answered.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de::opt_u16"
    )]
    pub http_status_code: Option<u16>,
    /// Payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

/// A delivery log (W13, W14).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookLog {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<WebhookLogId>,
    /// Webhook id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<WebhookId>,
    /// Webhook name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_name: Option<String>,
    /// Final status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_status: Option<WebhookDeliveryStatus>,
    /// Attempts.
    #[serde(default, deserialize_with = "de::null_default")]
    pub call_history: Vec<WebhookCall>,
    /// Creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Pax8DateTime>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of a delivery Pax8 posts to a receiver.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WebhookPayload {
    /// Account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// URL delivered to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Webhook id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<WebhookId>,
    /// When sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Pax8DateTime>,
    /// The topic that matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_topic: Option<WebhookTopic>,
    /// The event data (free-form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_data: Option<Value>,
    /// Fields this crate does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Why a delivery was refused by [`WebhookReceiver`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// No `Authorization` header, or a different value.
    #[error("webhook delivery has a missing or wrong authorization header")]
    Unauthorized,
    /// The body is not a webhook payload.
    #[error("webhook delivery body is not valid json: {0}")]
    InvalidBody(String),
}

/// Checks incoming deliveries: the `Authorization` header against the configured value, in
/// constant time (SHA-256 of both, compared with `subtle`, so neither content nor length leaks
/// through timing), then parses the payload.
#[derive(Clone)]
pub struct WebhookReceiver {
    expected: [u8; 32],
}

impl fmt::Debug for WebhookReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookReceiver([REDACTED])")
    }
}

fn digest(s: &[u8]) -> [u8; 32] {
    Sha256::digest(s).into()
}

impl WebhookReceiver {
    /// A receiver expecting `authorization` (the value set as the webhook's `authorization`).
    pub fn new(authorization: impl AsRef<str>) -> Self {
        Self {
            expected: digest(authorization.as_ref().as_bytes()),
        }
    }

    /// Whether `header` (the delivery's `Authorization` value) is the configured one.
    pub fn verify(&self, header: Option<&str>) -> bool {
        match header {
            Some(h) => bool::from(digest(h.as_bytes()).ct_eq(&self.expected)),
            None => false,
        }
    }

    /// Verifies the header, then parses the body.
    pub fn receive(
        &self,
        header: Option<&str>,
        body: &[u8],
    ) -> Result<WebhookPayload, ReceiveError> {
        if !self.verify(header) {
            return Err(ReceiveError::Unauthorized);
        }
        serde_json::from_slice(body).map_err(|e| ReceiveError::InvalidBody(e.to_string()))
    }
}

/// Query of `GET /webhooks` (W01).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListWebhooks {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Free-text query.
    pub query: Option<String>,
    /// Active filter.
    pub active: Option<bool>,
    /// Topic filter.
    pub topic: Option<String>,
    /// Raw sort value.
    pub sort: Option<String>,
    /// Status filter.
    pub status: Option<String>,
    /// Account filter.
    pub account_id: Option<String>,
}

setters!(ListWebhooks {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Sets the free-text query.
    query: String,
    /// Filters by active flag.
    active: bool,
    /// Filters by topic.
    topic: String,
    /// Sets the raw sort.
    sort: String,
    /// Filters by status.
    status: String,
    /// Filters by account.
    account_id: String,
});

impl ListWebhooks {
    /// The request for one page.
    pub fn request(&self, page: u32, size: u32) -> Request {
        let r = paging(Request::get("webhooks", "webhooks.list"), page, size);
        let r = opt(r, "query", self.query.as_ref());
        let r = opt(r, "active", self.active.as_ref());
        let r = opt(r, "topic", self.topic.as_ref());
        let r = opt(r, "sort", self.sort.as_ref());
        let r = opt(r, "status", self.status.as_ref());
        opt(r, "accountId", self.account_id.as_ref())
    }
}

/// Query of `GET /webhooks/topic-definitions` (W03).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListTopicDefinitions {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Search text.
    pub search: Option<String>,
    /// Raw sort value.
    pub sort: Option<String>,
    /// Topic filter.
    pub topic: Option<String>,
}

setters!(ListTopicDefinitions {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Searches.
    search: String,
    /// Sets the raw sort.
    sort: String,
    /// Filters by topic.
    topic: String,
});

impl ListTopicDefinitions {
    /// The request for one page.
    pub fn request(&self, page: u32, size: u32) -> Request {
        let r = paging(
            Request::get("webhooks/topic-definitions", "webhooks.topics"),
            page,
            size,
        );
        let r = opt(r, "search", self.search.as_ref());
        let r = opt(r, "sort", self.sort.as_ref());
        opt(r, "topic", self.topic.as_ref())
    }
}

/// Query of `GET /webhooks/{id}/logs` (W13). The spec's required `query` object parameter is a
/// defect and is never sent (PAX8-Q47).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ListWebhookLogs {
    /// Zero-based page.
    pub page: Option<u32>,
    /// Page size.
    pub size: Option<u32>,
    /// Topic name filter.
    pub topic_name: Option<String>,
    /// Status filter.
    pub status: Option<WebhookDeliveryStatus>,
    /// Start date (raw, as the API expects it).
    pub start_date: Option<String>,
    /// End date (raw).
    pub end_date: Option<String>,
    /// Raw sort value.
    pub sort: Option<String>,
}

setters!(ListWebhookLogs {
    /// Sets the start page.
    page: u32,
    /// Sets the page size.
    size: u32,
    /// Filters by topic name.
    topic_name: String,
    /// Filters by status.
    status: WebhookDeliveryStatus,
    /// Sets the start date.
    start_date: String,
    /// Sets the end date.
    end_date: String,
    /// Sets the raw sort.
    sort: String,
});

impl ListWebhookLogs {
    /// The request for one page of `webhook`'s logs.
    pub fn request(&self, webhook: &WebhookId, page: u32, size: u32) -> Result<Request, Error> {
        let r = paging(
            Request::get(format!("webhooks/{}/logs", seg(webhook)?), "webhooks.logs"),
            page,
            size,
        );
        let r = opt(r, "topicName", self.topic_name.as_ref());
        let r = opt(r, "status", self.status.as_ref());
        let r = opt(r, "startDate", self.start_date.as_ref());
        let r = opt(r, "endDate", self.end_date.as_ref());
        Ok(opt(r, "sort", self.sort.as_ref()))
    }
}

/// Webhook management calls (W01–W15). Get one with [`Client::webhooks`].
#[derive(Debug, Clone)]
pub struct Webhooks {
    client: Client,
}

impl Client {
    /// Webhooks API v2 calls (feature `webhooks`).
    pub fn webhooks(&self) -> Webhooks {
        Webhooks {
            client: self.clone(),
        }
    }
}

use crate::client::with_body as body;

impl Webhooks {
    async fn json<T: crate::model::Model>(&self, req: Request, write: Write) -> Result<T, Error> {
        self.client.send_json_on(Api::Webhooks, req, write).await
    }

    async fn empty(&self, req: Request, write: Write) -> Result<(), Error> {
        self.client
            .send_on(Api::Webhooks, req, write)
            .await
            .map(|_| ())
    }

    /// W01: one page of webhooks.
    pub async fn list(&self, query: ListWebhooks) -> Result<Page<Webhook>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::Webhooks, query.request(query.page.unwrap_or(0), size))
            .await
    }

    /// W01: a lazy walk over all webhooks.
    pub fn list_all(&self, query: ListWebhooks) -> Paginator<Webhook> {
        let (page, size) = (query.page, query.size);
        Paginator::new_on(
            Api::Webhooks,
            self.client.clone(),
            page,
            size,
            move |p, s| Ok(query.request(p, s)),
        )
    }

    /// W02: creates a webhook (not retried automatically unless writes are opted in).
    pub async fn create(&self, webhook: &CreateWebhook) -> Result<Webhook, Error> {
        let req = body(Request::post("webhooks", "webhooks.create"), webhook)?;
        let resp = self
            .client
            .send_on(Api::Webhooks, req, Write::OptIn)
            .await?;
        crate::client::decode(&resp)
    }

    /// W03: one page of topic definitions.
    pub async fn topic_definitions(
        &self,
        query: ListTopicDefinitions,
    ) -> Result<Page<TopicDefinition>, Error> {
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(Api::Webhooks, query.request(query.page.unwrap_or(0), size))
            .await
    }

    /// W04: one webhook.
    pub async fn get(&self, id: impl Into<WebhookId>) -> Result<Webhook, Error> {
        let id = id.into();
        self.json(
            Request::get(format!("webhooks/{}", seg(&id)?), "webhooks.get"),
            Write::Read,
        )
        .await
    }

    /// W05: deletes a webhook (204).
    pub async fn delete(&self, id: impl Into<WebhookId>) -> Result<(), Error> {
        let id = id.into();
        self.empty(
            Request::delete(format!("webhooks/{}", seg(&id)?), "webhooks.delete"),
            Write::OptIn,
        )
        .await
    }

    /// W06: changes name, URL, authorization, contact or threshold.
    pub async fn configure(
        &self,
        id: impl Into<WebhookId>,
        config: &WebhookConfiguration,
    ) -> Result<Webhook, Error> {
        let id = id.into();
        let req = body(
            Request::post(
                format!("webhooks/{}/configuration", seg(&id)?),
                "webhooks.configure",
            ),
            config,
        )?;
        self.json(req, Write::OptIn).await
    }

    /// W07: activates or deactivates.
    pub async fn set_active(
        &self,
        id: impl Into<WebhookId>,
        active: bool,
    ) -> Result<Webhook, Error> {
        let id = id.into();
        let req = Request::post(format!("webhooks/{}/status", seg(&id)?), "webhooks.status")
            .json(serde_json::json!({ "active": active }));
        self.json(req, Write::OptIn).await
    }

    /// W08: adds a topic.
    pub async fn add_topic(
        &self,
        id: impl Into<WebhookId>,
        topic: &WebhookTopic,
    ) -> Result<Webhook, Error> {
        let id = id.into();
        let req = Request::post(
            format!("webhooks/{}/topics", seg(&id)?),
            "webhooks.add_topic",
        )
        .json(serde_json::json!({ "topic": topic.topic, "filters": topic.filters }));
        self.json(req, Write::OptIn).await
    }

    /// W09: replaces all topics.
    pub async fn replace_topics(
        &self,
        id: impl Into<WebhookId>,
        topics: &[WebhookTopic],
    ) -> Result<Webhook, Error> {
        let id = id.into();
        let req = Request::new(
            Method::PUT,
            format!("webhooks/{}/topics", seg(&id)?),
            "webhooks.replace_topics",
        )
        .json(serde_json::json!({ "webhookTopics": topics }));
        self.json(req, Write::OptIn).await
    }

    /// W10: removes a topic (204).
    pub async fn delete_topic(
        &self,
        id: impl Into<WebhookId>,
        topic_id: impl Into<WebhookTopicId>,
    ) -> Result<(), Error> {
        let (id, topic_id) = (id.into(), topic_id.into());
        self.empty(
            Request::delete(
                format!("webhooks/{}/topics/{}", seg(&id)?, seg(&topic_id)?),
                "webhooks.delete_topic",
            ),
            Write::OptIn,
        )
        .await
    }

    /// W11: replaces a topic's filters.
    pub async fn configure_topic(
        &self,
        id: impl Into<WebhookId>,
        topic_id: impl Into<WebhookTopicId>,
        filters: &[TopicFilter],
    ) -> Result<Webhook, Error> {
        let (id, topic_id) = (id.into(), topic_id.into());
        let req = Request::post(
            format!(
                "webhooks/{}/topics/{}/configuration",
                seg(&id)?,
                seg(&topic_id)?
            ),
            "webhooks.configure_topic",
        )
        .json(serde_json::json!({ "filters": filters }));
        self.json(req, Write::OptIn).await
    }

    /// W12: sends a test delivery for `topic` (the topic name).
    pub async fn test(&self, id: impl Into<WebhookId>, topic: &str) -> Result<WebhookTest, Error> {
        let id = id.into();
        let req = Request::post(
            format!("webhooks/{}/topics/{}/test", seg(&id)?, seg(topic)?),
            "webhooks.test",
        );
        self.json(req, Write::Read).await
    }

    /// W13: one page of delivery logs.
    pub async fn logs(
        &self,
        webhook_id: impl Into<WebhookId>,
        query: ListWebhookLogs,
    ) -> Result<Page<WebhookLog>, Error> {
        let webhook_id = webhook_id.into();
        let size = clamp_page_size(query.size.unwrap_or(self.client.page_size()));
        self.client
            .send_page(
                Api::Webhooks,
                query.request(&webhook_id, query.page.unwrap_or(0), size)?,
            )
            .await
    }

    /// W13: a lazy walk over delivery logs.
    pub fn logs_all(
        &self,
        webhook_id: impl Into<WebhookId>,
        query: ListWebhookLogs,
    ) -> Paginator<WebhookLog> {
        let (page, size) = (query.page, query.size);
        let id = webhook_id.into();
        Paginator::new_on(
            Api::Webhooks,
            self.client.clone(),
            page,
            size,
            move |p, s| query.request(&id, p, s),
        )
    }

    /// W14: one delivery log.
    pub async fn log(
        &self,
        webhook_id: impl Into<WebhookId>,
        log_id: impl Into<WebhookLogId>,
    ) -> Result<WebhookLog, Error> {
        let (webhook_id, log_id) = (webhook_id.into(), log_id.into());
        self.json(
            Request::get(
                format!("webhooks/{}/logs/{}", seg(&webhook_id)?, seg(&log_id)?),
                "webhooks.log",
            ),
            Write::Read,
        )
        .await
    }

    /// W15: retries a delivery (202, empty body).
    pub async fn retry_log(
        &self,
        webhook_id: impl Into<WebhookId>,
        log_id: impl Into<WebhookLogId>,
    ) -> Result<(), Error> {
        let (webhook_id, log_id) = (webhook_id.into(), log_id.into());
        self.empty(
            Request::post(
                format!(
                    "webhooks/{}/logs/{}/retry",
                    seg(&webhook_id)?,
                    seg(&log_id)?
                ),
                "webhooks.retry",
            ),
            Write::OptIn,
        )
        .await
    }
}
