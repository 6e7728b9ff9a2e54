package shopify

import "github.com/afterglowhq/afterglow/sources"

// The payload types name only the fields Afterglow reads. Ids and amounts are sources.Number: ids
// exceed 2^53, and most amounts are strings but some (refund line subtotals) are JSON numbers.
// Shopify writes null for a missing value, which leaves a string empty.

type customer struct {
	ID               sources.Number `json:"id"`
	Email            string         `json:"email"`
	FirstName        string         `json:"first_name"`
	LastName         string         `json:"last_name"`
	Phone            string         `json:"phone"`
	Locale           string         `json:"locale"`
	Tags             *string        `json:"tags"`
	CreatedAt        string         `json:"created_at"`
	UpdatedAt        string         `json:"updated_at"`
	AcceptsMarketing *bool          `json:"accepts_marketing"`
	EmailConsent     *consentState  `json:"email_marketing_consent"`
	SMSConsent       *consentState  `json:"sms_marketing_consent"`
}

type consentState struct {
	State            string `json:"state"`
	OptInLevel       string `json:"opt_in_level"`
	ConsentUpdatedAt string `json:"consent_updated_at"`
}

type address struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// buyer is what orders and checkouts say about who is buying: the nested customer when there is
// one, and the contact details typed at checkout, which may differ from it.
type buyer struct {
	Email                 string    `json:"email"`
	ContactEmail          string    `json:"contact_email"`
	Phone                 string    `json:"phone"`
	CustomerLocale        string    `json:"customer_locale"`
	BuyerAcceptsMarketing *bool     `json:"buyer_accepts_marketing"`
	Customer              *customer `json:"customer"`
	BillingAddress        *address  `json:"billing_address"`
}

type lineItem struct {
	SKU       string         `json:"sku"`
	ProductID sources.Number `json:"product_id"`
	VariantID sources.Number `json:"variant_id"`
	Name      string         `json:"name"`
	Title     string         `json:"title"`
	Quantity  sources.Number `json:"quantity"`
	Price     sources.Number `json:"price"`
}

type order struct {
	buyer
	ID                sources.Number `json:"id"`
	Name              string         `json:"name"`
	OrderNumber       sources.Number `json:"order_number"`
	Currency          string         `json:"currency"`
	TotalPrice        sources.Number `json:"total_price"`
	CurrentTotalPrice sources.Number `json:"current_total_price"`
	SubtotalPrice     sources.Number `json:"subtotal_price"`
	TotalDiscounts    sources.Number `json:"total_discounts"`
	FinancialStatus   string         `json:"financial_status"`
	CancelReason      string         `json:"cancel_reason"`
	DiscountCodes     []struct {
		Code string `json:"code"`
	} `json:"discount_codes"`
	LandingSite    string         `json:"landing_site"`
	ReferringSite  string         `json:"referring_site"`
	SourceName     string         `json:"source_name"`
	OrderStatusURL string         `json:"order_status_url"`
	CheckoutID     sources.Number `json:"checkout_id"`
	CheckoutToken  string         `json:"checkout_token"`
	Tags           string         `json:"tags"`
	Test           bool           `json:"test"`
	CreatedAt      string         `json:"created_at"`
	ProcessedAt    string         `json:"processed_at"`
	UpdatedAt      string         `json:"updated_at"`
	CancelledAt    string         `json:"cancelled_at"`
	LineItems      []lineItem     `json:"line_items"`
}

type checkout struct {
	buyer
	ID                   sources.Number `json:"id"`
	Token                string         `json:"token"`
	Currency             string         `json:"currency"`
	PresentmentCurrency  string         `json:"presentment_currency"`
	TotalPrice           sources.Number `json:"total_price"`
	SubtotalPrice        sources.Number `json:"subtotal_price"`
	AbandonedCheckoutURL string         `json:"abandoned_checkout_url"`
	CreatedAt            string         `json:"created_at"`
	UpdatedAt            string         `json:"updated_at"`
	LineItems            []lineItem     `json:"line_items"`
}

type fulfillment struct {
	ID              sources.Number `json:"id"`
	OrderID         sources.Number `json:"order_id"`
	Name            string         `json:"name"`
	Status          string         `json:"status"`
	ShipmentStatus  string         `json:"shipment_status"`
	Email           string         `json:"email"`
	TrackingCompany string         `json:"tracking_company"`
	TrackingNumber  string         `json:"tracking_number"`
	TrackingURL     string         `json:"tracking_url"`
	CreatedAt       string         `json:"created_at"`
	UpdatedAt       string         `json:"updated_at"`
	LineItems       []lineItem     `json:"line_items"`
}

type refund struct {
	ID           sources.Number `json:"id"`
	OrderID      sources.Number `json:"order_id"`
	Note         string         `json:"note"`
	CreatedAt    string         `json:"created_at"`
	ProcessedAt  string         `json:"processed_at"`
	Transactions []struct {
		Kind     string         `json:"kind"`
		Status   string         `json:"status"`
		Amount   sources.Number `json:"amount"`
		Currency string         `json:"currency"`
	} `json:"transactions"`
	RefundLineItems []struct {
		Quantity sources.Number `json:"quantity"`
		Subtotal sources.Number `json:"subtotal"`
		LineItem *lineItem      `json:"line_item"`
	} `json:"refund_line_items"`
}

// emailConsent is the body of customers_email_marketing_consent/update.
type emailConsent struct {
	CustomerID   sources.Number `json:"customer_id"`
	EmailAddress string         `json:"email_address"`
	Consent      *consentState  `json:"email_marketing_consent"`
}

// smsConsent is the body of customers_marketing_consent/update.
type smsConsent struct {
	ID      sources.Number `json:"id"`
	Phone   string         `json:"phone"`
	Consent *consentState  `json:"sms_marketing_consent"`
}

// anyResource reads just enough of an unknown topic's body to log whose it is.
type anyResource struct {
	ID         sources.Number `json:"id"`
	CustomerID sources.Number `json:"customer_id"`
	Customer   *struct {
		ID sources.Number `json:"id"`
	} `json:"customer"`
}
