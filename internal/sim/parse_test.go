package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// The decoding side of the tests: strict structs of the Meta Cloud API shapes the
// simulator may write. Decoding uses DisallowUnknownFields, so a key outside these
// shapes fails the test.

type body struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID      string   `json:"id"`
	Time    *int64   `json:"time"`
	Changes []change `json:"changes"`
}

type change struct {
	Field string `json:"field"`
	Value value  `json:"value"`
}

type value struct {
	MessagingProduct string     `json:"messaging_product"`
	Metadata         *metadata  `json:"metadata"`
	Contacts         []contact  `json:"contacts"`
	Messages         []message  `json:"messages"`
	Statuses         []status   `json:"statuses"`
	Errors           []apiError `json:"errors"`
	UserPreferences  []userPref `json:"user_preferences"`
	Display          string     `json:"display_phone_number"`
	Event            string     `json:"event"`
	OldLimit         string     `json:"old_limit"`
	CurrentLimit     string     `json:"current_limit"`
	MaxPerPhone      *int64     `json:"max_daily_conversation_per_phone"`
	MaxPerBusiness   *int64     `json:"max_daily_conversations_per_business"`
	MaxPhonesPerWABA *int64     `json:"max_phone_numbers_per_waba"`
	TemplateID       *int64     `json:"message_template_id"`
	TemplateName     string     `json:"message_template_name"`
	TemplateLanguage string     `json:"message_template_language"`
	TemplateCategory string     `json:"message_template_category"`
	Reason           string     `json:"reason"`
	ViolationInfo    *struct {
		ViolationType string `json:"violation_type"`
	} `json:"violation_info"`
	RestrictionInfo []struct {
		RestrictionType string `json:"restriction_type"`
		Expiration      int64  `json:"expiration"`
	} `json:"restriction_info"`
	BanInfo *struct {
		State string `json:"waba_ban_state"`
		Date  string `json:"waba_ban_date"`
	} `json:"ban_info"`
	VolumeTierInfo *struct {
		TierUpdateTime  int64  `json:"tier_update_time"`
		PricingCategory string `json:"pricing_category"`
		Tier            string `json:"tier"`
		EffectiveMonth  string `json:"effective_month"`
	} `json:"volume_tier_info"`
}

type metadata struct {
	Display       string `json:"display_phone_number"`
	PhoneNumberID string `json:"phone_number_id"`
}

type contact struct {
	Profile *struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type apiError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href"`
}

type userPref struct {
	WaID      string `json:"wa_id"`
	Detail    string `json:"detail"`
	Category  string `json:"category"`
	Value     string `json:"value"`
	Timestamp int64  `json:"timestamp"`
}

type media struct {
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	MimeType string `json:"mime_type"`
	SHA256   string `json:"sha256"`
	ID       string `json:"id"`
	Voice    *bool  `json:"voice"`
	Animated *bool  `json:"animated"`
}

type message struct {
	Referral *struct {
		SourceURL  string `json:"source_url"`
		SourceID   string `json:"source_id"`
		SourceType string `json:"source_type"`
		Body       string `json:"body"`
		Headline   string `json:"headline"`
		MediaType  string `json:"media_type"`
		ImageURL   string `json:"image_url"`
		CtwaClid   string `json:"ctwa_clid"`
	} `json:"referral"`
	Context *struct {
		From string `json:"from"`
		ID   string `json:"id"`
	} `json:"context"`
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Text      *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image    *media `json:"image"`
	Audio    *media `json:"audio"`
	Video    *media `json:"video"`
	Document *media `json:"document"`
	Sticker  *media `json:"sticker"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"location"`
	Contacts []struct {
		Name struct {
			FirstName     string `json:"first_name"`
			FormattedName string `json:"formatted_name"`
		} `json:"name"`
		Phones []struct {
			Phone string `json:"phone"`
			Type  string `json:"type"`
			WaID  string `json:"wa_id"`
		} `json:"phones"`
	} `json:"contacts"`
	Order *struct {
		CatalogID    string `json:"catalog_id"`
		ProductItems []struct {
			ProductRetailerID string  `json:"product_retailer_id"`
			Quantity          int     `json:"quantity"`
			ItemPrice         float64 `json:"item_price"`
			Currency          string  `json:"currency"`
		} `json:"product_items"`
	} `json:"order"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply *struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Errors []apiError `json:"errors"`
}

type status struct {
	ID                    string `json:"id"`
	Status                string `json:"status"`
	Timestamp             string `json:"timestamp"`
	RecipientID           string `json:"recipient_id"`
	BizOpaqueCallbackData string `json:"biz_opaque_callback_data"`
	Conversation          *struct {
		ID         string `json:"id"`
		Expiration string `json:"expiration_timestamp"`
		Origin     struct {
			Type string `json:"type"`
		} `json:"origin"`
	} `json:"conversation"`
	Pricing *struct {
		Billable     *bool  `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Type         string `json:"type"`
		Category     string `json:"category"`
	} `json:"pricing"`
	Errors []apiError `json:"errors"`
}

// conversionLine is the one shape of a conversion line (docs/conversions.md).
type conversionLine struct {
	C struct {
		PhoneNumberID string   `json:"phone_number_id"`
		Customer      string   `json:"customer"`
		Name          string   `json:"name"`
		Value         *float64 `json:"value"`
		Currency      string   `json:"currency"`
		Timestamp     int64    `json:"timestamp"`
	} `json:"waba_conversion"`
}

// decodeConversion decodes a conversion line strictly and checks its values.
func decodeConversion(line []byte) (conversionLine, error) {
	var c conversionLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, err
	}
	v := c.C
	if !knownPhone(v.PhoneNumberID) || v.Customer == "" || v.Value == nil || *v.Value < 0 || v.Timestamp <= 0 ||
		(v.Currency != "EUR" && v.Currency != "BRL") || (v.Name != "purchase" && v.Name != "signup") ||
		(v.Name == "signup") != (*v.Value == 0) {
		return c, fmt.Errorf("bad conversion line")
	}
	return c, nil
}

func knownPhone(id string) bool {
	for _, p := range phones {
		if p.id == id {
			return true
		}
	}
	return false
}

// rec is one generated line with its arrival time and decoded body.
type rec struct {
	line []byte
	at   time.Time
	b    body
}

// generate runs a Sim until it has written n webhook lines (conversion lines are checked
// and left out) and decodes every line strictly.
func generate(t testing.TB, opts Options, n int) ([]rec, map[string]uint8) {
	t.Helper()
	recs, cats, err := generateE(opts, n)
	if err != nil {
		t.Fatal(err)
	}
	return recs, cats
}

func generateE(opts Options, n int) ([]rec, map[string]uint8, error) {
	s := New(opts)
	cats := map[string]uint8{}
	s.observe = func(id string, c uint8) { cats[id] = c }
	out := make([]rec, 0, n)
	for i := 0; len(out) < n; i++ {
		line, at := s.Next(nil)
		var r rec
		r.line, r.at = line, at
		if bytes.HasPrefix(line, []byte(`{"waba_conversion":`)) {
			// Conversion lines (campaigns.go) are checked by TestCampaigns; the
			// webhook tests see webhook bodies only.
			if _, err := decodeConversion(line); err != nil {
				return nil, nil, fmt.Errorf("line %d: %v\n%s", i, err, line)
			}
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r.b); err != nil {
			return nil, nil, fmt.Errorf("line %d: %v\n%s", i, err, line)
		}
		if dec.More() {
			return nil, nil, fmt.Errorf("line %d: more than one JSON value", i)
		}
		out = append(out, r)
	}
	if u := s.Stats().Unclassified; u != 0 {
		return nil, nil, fmt.Errorf("%d statuses written before their message was classified", u)
	}
	return out, cats, nil
}

func ts(t testing.TB, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil || n <= 0 {
		t.Fatalf("bad timestamp %q", s)
	}
	return n
}
