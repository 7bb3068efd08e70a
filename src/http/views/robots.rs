//! A department's group robot as both faces show it: never its webhook's
//! token or its secret in full, once saved.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::channels::{mask_secret, mask_webhook, RobotService};
use crate::storage::robots::Robot;
use crate::words::{text, Lang};

#[derive(Debug, Serialize, ToSchema)]
pub struct RobotView {
    pub id: i64,
    pub department_id: i64,
    /// `wecom` (企业微信), `dingtalk` (钉钉) or `feishu` (飞书).
    pub service: String,
    pub name: String,
    /// The webhook with all but the last four characters of its token starred.
    #[schema(example = "https://oapi.dingtalk.com/robot/send?access_token=****c0de")]
    pub webhook_url: String,
    /// The signing secret's last four characters, starred in front; null
    /// when the robot does not sign.
    #[schema(example = "****3f2a")]
    pub secret: Option<String>,
    /// The notices it posts: `new_ticket`, `sla_warning`, `overdue`,
    /// `urged`, `extension_requested`.
    pub notices: Vec<String>,
    /// Off: it posts nothing.
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<&Robot> for RobotView {
    fn from(r: &Robot) -> Self {
        RobotView {
            id: r.id,
            department_id: r.department_id,
            service: r.service.clone(),
            name: r.name.clone(),
            webhook_url: mask_webhook(&r.webhook_url),
            secret: r.secret.as_deref().map(mask_secret),
            notices: r
                .notice_list()
                .iter()
                .map(|n| n.as_str().to_string())
                .collect(),
            active: r.active,
            updated_at: r.updated_at.and_utc(),
        }
    }
}

/// What people call a robot service.
pub fn service_name(service: &str, lang: Lang) -> &'static str {
    text(
        lang,
        match RobotService::parse(service) {
            Some(RobotService::Wecom) => "robots_sms.service_wecom",
            Some(RobotService::Dingtalk) => "robots_sms.service_dingtalk",
            Some(RobotService::Feishu) => "robots_sms.service_feishu",
            None => "robots_sms.service_unknown",
        },
    )
}
