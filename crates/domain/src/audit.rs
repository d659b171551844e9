//! What the audit log records: who did what to which person's record.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    /// A named record was shown.
    Read,
    /// A search or list that returned named records.
    Search,
    Create,
    Update,
    CloseCase,
    ReopenCase,
    SignIn,
    SignInFailed,
    SignOut,
    AccountChange,
    TokenCreate,
    Backup,
    /// An access the policy refused.
    Denied,
    /// Emergency access to a record began (with the reason given) or ended.
    BreakGlassStart,
    BreakGlassEnd,
    /// A manager's verdict on an emergency access.
    BreakGlassReview,
    /// A supporter invitation was made, used or cancelled.
    Invite,
}

impl AuditAction {
    pub const ALL: [AuditAction; 17] = [
        AuditAction::Read,
        AuditAction::Search,
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::CloseCase,
        AuditAction::ReopenCase,
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::AccountChange,
        AuditAction::TokenCreate,
        AuditAction::Backup,
        AuditAction::Denied,
        AuditAction::BreakGlassStart,
        AuditAction::BreakGlassEnd,
        AuditAction::BreakGlassReview,
        AuditAction::Invite,
    ];

    /// A read, a search or a refusal: an action that changed nothing, so its entry need not be
    /// written in a transaction that writes.
    pub fn changes_nothing(&self) -> bool {
        matches!(self, AuditAction::Read | AuditAction::Search | AuditAction::Denied)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            AuditAction::Read => "read",
            AuditAction::Search => "search",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::CloseCase => "close-case",
            AuditAction::ReopenCase => "reopen-case",
            AuditAction::SignIn => "sign-in",
            AuditAction::SignInFailed => "sign-in-failed",
            AuditAction::SignOut => "sign-out",
            AuditAction::AccountChange => "account-change",
            AuditAction::TokenCreate => "token-create",
            AuditAction::Backup => "backup",
            AuditAction::Denied => "denied",
            AuditAction::BreakGlassStart => "break-glass-start",
            AuditAction::BreakGlassEnd => "break-glass-end",
            AuditAction::BreakGlassReview => "break-glass-review",
            AuditAction::Invite => "invite",
        }
    }
}

impl FromStr for AuditAction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s).ok_or_else(|| format!("unknown audit action '{s}'"))
    }
}
