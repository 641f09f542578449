//! Who is asking, and therefore which products they may see.
//!
//! There is no authentication yet: every request is [`Viewer::Anonymous`] and sees published
//! products only. The auth issue will derive the viewer from the JWT's role (staff and admin
//! become [`Viewer::Staff`]); resolvers and loaders already ask the viewer, so that change is
//! confined to the HTTP handler.

use crate::{error::QueryError, schema::products::ProductStatus};

/// The caller of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Viewer {
    /// A storefront visitor: published products only.
    #[default]
    Anonymous,
    /// Staff or admin: every product, including drafts and deleted ones.
    Staff,
}

impl Viewer {
    /// Statuses this viewer may look up by id or slug.
    pub fn visible_statuses(self) -> Vec<String> {
        let statuses: &[ProductStatus] = match self {
            Self::Anonymous => &[ProductStatus::Published],
            Self::Staff => &[
                ProductStatus::Draft,
                ProductStatus::Published,
                ProductStatus::Deleted,
            ],
        };
        statuses.iter().map(|s| s.as_db().to_string()).collect()
    }

    /// Statuses a listing shows for an optional `status` filter. Staff listings hide deleted
    /// products unless asked for them.
    pub fn listed_statuses(self, wanted: Option<ProductStatus>) -> Result<Vec<String>, QueryError> {
        match (self, wanted) {
            (Self::Anonymous, None | Some(ProductStatus::Published)) => {
                Ok(vec![ProductStatus::Published.as_db().to_string()])
            }
            (Self::Anonymous, Some(_)) => Err(QueryError::Forbidden(
                "only published products are visible without the staff role".to_string(),
            )),
            (Self::Staff, Some(status)) => Ok(vec![status.as_db().to_string()]),
            (Self::Staff, None) => Ok(vec![
                ProductStatus::Draft.as_db().to_string(),
                ProductStatus::Published.as_db().to_string(),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_viewers_list_published_products_only() {
        assert_eq!(
            Viewer::Anonymous.listed_statuses(None).ok(),
            Some(vec!["published".to_string()])
        );
        assert!(matches!(
            Viewer::Anonymous.listed_statuses(Some(ProductStatus::Draft)),
            Err(QueryError::Forbidden(_))
        ));
        assert_eq!(Viewer::Anonymous.visible_statuses(), vec!["published"]);
    }

    #[test]
    fn staff_listings_hide_deleted_products_unless_asked() {
        assert_eq!(
            Viewer::Staff.listed_statuses(None).ok(),
            Some(vec!["draft".to_string(), "published".to_string()])
        );
        assert_eq!(
            Viewer::Staff
                .listed_statuses(Some(ProductStatus::Deleted))
                .ok(),
            Some(vec!["deleted".to_string()])
        );
    }
}
