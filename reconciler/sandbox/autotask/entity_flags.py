"""Field flags of the Autotask simulator's entities that the recorded metadata does not give.

Read-only properties, references between entities, and per-entity overrides of the defaults
(strings 100 long, nothing required); :mod:`.entities` applies them to the generated fields.
"""

from __future__ import annotations

from typing import Any, Final

READ_ONLY: Final = frozenset(
    {
        "createDate",
        "createdByResourceID",
        "createdTime",
        "creatorResourceID",
        "impersonatorCreatorResourceID",
        "lastActivityDate",
        "lastTrackedModifiedDateTime",
        "lastModifiedDate",
        "updateResourceID",
        "isSystemRole",
        "lastActivity",
        "mergeVariableName",
        "isSample",
    }
)

REFERENCES: Final = {
    "companyID": "Company",
    "parentCompanyID": "Company",
    "vendorCompanyID": "Company",
    "defaultVendorID": "Company",
    "billingCodeID": "BillingCode",
    "productBillingCodeID": "BillingCode",
    "chargeBillingCodeID": "BillingCode",
    "productID": "Product",
    "countryID": "Country",
    "currencyID": "Currency",
    "taxRegionID": "TaxRegion",
    "contactID": "Contact",
}

# Per entity: flags that differ from the defaults (strings 100 long, nothing required).
OVERRIDES: Final[dict[str, dict[str, dict[str, Any]]]] = {
    "Companies": {
        "companyName": {"length": 100, "required": True},
        "companyNumber": {"length": 50},
        "companyType": {"required": True, "picklist": "Companies.companyType"},
        "classification": {"picklist": "Companies.classification"},
        "companyCategoryID": {"picklist": "Companies.companyCategoryID", "default": 1},
        "territoryID": {"picklist": "Companies.territoryID"},
        "marketSegmentID": {"picklist": "Companies.marketSegmentID"},
        "phone": {"length": 25, "required": True},
        "fax": {"length": 25},
        "alternatePhone1": {"length": 25},
        "alternatePhone2": {"length": 25},
        "ownerResourceID": {"required": True},
        "address1": {"length": 128},
        "address2": {"length": 128},
        "city": {"length": 50},
        "state": {"length": 40},
        "postalCode": {"length": 20},
        "webAddress": {"length": 255},
        "isActive": {"default": True},
    },
    "Opportunities": {
        "title": {"length": 128, "required": True},
        "companyID": {"required": True},
        "ownerResourceID": {"required": True},
        "status": {"required": True, "picklist": "Opportunities.status"},
        "stage": {"picklist": "Opportunities.stage"},
        "rating": {"picklist": "Opportunities.rating"},
        "leadSource": {"picklist": "Opportunities.leadSource"},
        "probability": {"required": True},
        "projectedCloseDate": {"required": True},
        "amount": {"required": True},
        "cost": {"required": True},
        "useQuoteTotals": {"required": True},
        "description": {"length": 8000},
    },
    "Products": {
        "name": {"length": 100, "required": True},
        "description": {"length": 8000},
        "sku": {"length": 50},
        "productCategory": {"picklist": "Products.productCategory"},
        "billingType": {"picklist": "Products.billingType", "default": 1},
        "periodType": {"picklist": "periodType"},
        "priceCostMethod": {"picklist": "Products.priceCostMethod"},
        "isActive": {"required": True},
        "isSerialized": {"required": True},
        "manufacturerName": {"length": 100},
        "manufacturerProductName": {"length": 100},
    },
    "BillingCodes": {
        "name": {"length": 200},
        "description": {"length": 500},
        "externalNumber": {"length": 100},
        "useType": {"picklist": "BillingCodes.useType"},
        "billingCodeType": {"picklist": "BillingCodes.billingCodeType"},
        "afterHoursWorkType": {"reference": "BillingCode"},
    },
    "Roles": {
        "name": {"length": 200, "required": True},
        "description": {"length": 200},
        "hourlyRate": {"required": True},
        "hourlyFactor": {"required": True},
        "isActive": {"required": True},
        "roleType": {"picklist": "Roles.roleType", "read_only": True},
    },
    "Services": {
        "name": {"length": 150, "required": True},
        "description": {"length": 400},
        "invoiceDescription": {"length": 1000},
        "periodType": {"required": True, "picklist": "periodType"},
        "unitPrice": {"required": True},
        "billingCodeID": {"required": True},
        "sku": {"length": 50},
        "url": {"length": 500},
    },
    "Resources": {
        "firstName": {"length": 50, "required": True},
        "lastName": {"length": 50, "required": True},
        "email": {"length": 50, "required": True},
        "userName": {"length": 32, "required": True, "read_only": True},
        "isActive": {"required": True},
        "userType": {"picklist": "Resources.userType", "read_only": True},
        "licenseType": {"picklist": "Resources.licenseType", "read_only": True},
    },
    "UserDefinedFieldDefinitions": {
        "name": {"length": 45, "required": True},
        "description": {"length": 128},
        "udfType": {
            "required": True,
            "picklist": "UserDefinedFieldDefinitions.udfType",
            "create_only": True,
        },
        "dataType": {
            "required": True,
            "picklist": "UserDefinedFieldDefinitions.dataType",
            "create_only": True,
        },
        "displayFormat": {"picklist": "UserDefinedFieldDefinitions.displayFormat", "default": 1},
        "defaultValue": {"length": 1024},
        "isActive": {"default": True},
        "isProtected": {"default": False},
        "isRequired": {"default": False},
    },
    "InventoryLocations": {
        "locationName": {"length": 50, "required": True},
        "isActive": {"required": True},
        "isDefault": {"default": False},
        "resourceID": {"reference": "Resource"},
    },
}
