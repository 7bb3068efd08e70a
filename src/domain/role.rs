//! Who a user is to the service.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// 企业用户: files and follows its own enterprise's tickets.
    Enterprise,
    /// 经办人: handles tickets of their department.
    Officer,
    /// 负责人: an officer who also assigns, approves and takes over.
    Lead,
    /// 督查: reads and urges within the department's jurisdiction.
    Supervisor,
    /// 管理员: users, reference data and settings; no handling.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Enterprise,
        Role::Officer,
        Role::Lead,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Enterprise => "enterprise",
            Role::Officer => "officer",
            Role::Lead => "lead",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff roles belong to a department.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Officer | Role::Lead | Role::Supervisor)
    }
}
