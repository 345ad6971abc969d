package sim

// Static tables of the simulated world. Every identifier here is synthetic: the business
// account and phone number ids are made up, and customer wa_ids are drawn at random in
// the numbering plans of their countries (see waID).

// phone is one business phone number.
type phone struct {
	waba    string  // WhatsApp Business Account id (entry.id)
	id      string  // phone_number_id (metadata.phone_number_id)
	display string  // display_phone_number
	tz      float64 // UTC offset in hours of the business' local time
	tier    int     // index into tiers of the starting messaging limit
	share   float64 // share of the traffic
}

var phones = [...]phone{
	{"104857392018465", "107342981650234", "15557204418", -5, 1, 0.30},
	{"104857392018465", "112093847561203", "551130043388", -3, 0, 0.25},
	{"118273645091827", "123948576102938", "918067421150", 5.5, 3, 0.30},
	{"118273645091827", "125610293847561", "622130411829", 7, 1, 0.15},
}

const nPhones = len(phones)

// tiers are the messaging limits of phone_number_quality_update, lowest first.
var tiers = [...]string{"TIER_1K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"}

// tierCap is max_daily_conversation_per_phone of business_capability_update per tier.
var tierCap = [...]int{1000, 10000, 100000, -1}

// country is a customer country: its share of the pool, the number it mostly writes to,
// and its language for texts and names.
type country struct {
	iso    string
	weight float64
	home   int
	lang   int
}

const (
	langEN = iota
	langPT
	langES
	langHI
	langID
	langDE
	langAR
	nLang
)

var countries = [...]country{
	{"IN", 0.27, 2, langHI},
	{"BR", 0.19, 1, langPT},
	{"ID", 0.12, 3, langID},
	{"MX", 0.09, 0, langES},
	{"US", 0.08, 0, langEN},
	{"NG", 0.06, 0, langEN},
	{"GB", 0.05, 0, langEN},
	{"DE", 0.05, 0, langDE},
	{"ES", 0.04, 1, langES},
	{"AE", 0.05, 2, langAR},
}

var brAreas = [...]string{"11", "21", "31", "41", "47", "51", "61", "62", "71", "81", "85", "91"}
var usAreas = [...]string{"201", "305", "312", "347", "404", "415", "469", "617", "702", "718", "737", "832", "917", "925"}
var mxAreas = [...]string{"55", "33", "81", "99", "222", "442", "664"}

// waID appends a random wa_id (country calling code + national number, digits only) of
// country c. Brazil mixes 13-digit numbers and legacy 12-digit ones (without the mobile
// 9), Mexico uses the legacy 521 prefix WhatsApp still reports.
func waID(r *rng, dst []byte, c int) []byte {
	switch countries[c].iso {
	case "IN":
		dst = append(dst, "91"...)
		dst = append(dst, "6789"[r.intn(4)])
		return r.digits(dst, 9)
	case "BR":
		dst = append(dst, "55"...)
		dst = append(dst, brAreas[r.intn(len(brAreas))]...)
		if r.chance(0.55) {
			dst = append(dst, '9')
		}
		dst = append(dst, "6789"[r.intn(4)])
		return r.digits(dst, 7)
	case "ID":
		dst = append(dst, "628"...)
		dst = append(dst, "12578"[r.intn(5)])
		return r.digits(dst, 7+r.intn(3))
	case "MX":
		dst = append(dst, "521"...)
		a := mxAreas[r.intn(len(mxAreas))]
		dst = append(dst, a...)
		return r.digits(dst, 10-len(a))
	case "US":
		dst = append(dst, '1')
		dst = append(dst, usAreas[r.intn(len(usAreas))]...)
		dst = append(dst, byte('2'+r.intn(8)))
		return r.digits(dst, 6)
	case "NG":
		dst = append(dst, "234"...)
		dst = append(dst, [...]string{"70", "80", "81", "90", "91"}[r.intn(5)]...)
		return r.digits(dst, 8)
	case "GB":
		dst = append(dst, "447"...)
		dst = append(dst, "45789"[r.intn(5)])
		return r.digits(dst, 8)
	case "DE":
		dst = append(dst, "49"...)
		dst = append(dst, [...]string{"151", "152", "157", "160", "162", "170", "172", "176"}[r.intn(8)]...)
		return r.digits(dst, 7+r.intn(2))
	case "ES":
		dst = append(dst, "34"...)
		dst = append(dst, "67"[r.intn(2)])
		return r.digits(dst, 8)
	default: // AE
		dst = append(dst, "9715"...)
		dst = append(dst, "024568"[r.intn(6)])
		return r.digits(dst, 7)
	}
}

var firstNames = [nLang][]string{
	langEN: {"Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Chloe", "Mason", "Grace", "Tobi", "Amaka", "Kelechi", "Harriet", "Callum"},
	langPT: {"Ana", "Bruno", "Carla", "Diego", "Fábio", "Júlia", "Larissa", "Marcos", "Patrícia", "Rodrigo", "Tânia", "Vinícius"},
	langES: {"Alejandro", "Valeria", "Diego", "Lucía", "Mateo", "Renata", "Santiago", "Ximena", "Andrés", "Begoña", "Íñigo"},
	langHI: {"Aarav", "Ananya", "Ishaan", "Kavya", "Rohan", "Saanvi", "Vihaan", "Meera", "Arjun", "Diya", "आरव", "प्रिया"},
	langID: {"Adi", "Bayu", "Citra", "Dimas", "Indah", "Joko", "Kartika", "Nur", "Rizky", "Sari"},
	langDE: {"Jonas", "Leonie", "Finn", "Hannah", "Paul", "Marie", "Tim", "Jörg", "Käthe", "Lars"},
	langAR: {"Yousef", "Noura", "Hamdan", "Salma", "Rashid", "Aisha", "Zayed", "يوسف", "نورة"},
}

var lastNames = [nLang][]string{
	langEN: {"Walker", "Hughes", "Okoro", "Adebayo", "Bennett", "Carter", "Nwosu", "Price", ""},
	langPT: {"Almeida", "Barbosa", "Cardoso", "Ferreira", "Gomes", "Monteiro", "Rocha", "Conceição", ""},
	langES: {"Ramírez", "Torres", "Flores", "Navarro", "Ortega", "Jiménez", "Vázquez", ""},
	langHI: {"Agarwal", "Bose", "Chopra", "Desai", "Joshi", "Menon", "Pillai", "Rao", ""},
	langID: {"Hidayat", "Kusuma", "Nugroho", "Pratama", "Setiawan", "Utami", ""},
	langDE: {"Becker", "Hoffmann", "Koch", "Krüger", "Richter", "Wolf", ""},
	langAR: {"Al Falasi", "Al Qasimi", "Haddad", "Al Suwaidi", ""},
}

var oddNames = [...]string{".", "~", "😊", "🌸 Flor 🌸", "Mum", "Work", "✨", "Dr. S", "❤️"}

// texts are what customers write first in a session, by language.
var texts = [nLang][]string{
	langEN: {"Hi", "Hello", "Where is my order?", "Can I change the delivery address?", "Is this in stock?", "I need a refund", "Thanks!", "ok", "Can someone call me?", "My parcel shows delivered but I don't have it"},
	langPT: {"Oi", "Boa tarde", "Cadê meu pedido?", "Quero trocar o tamanho", "Aceita pix?", "Obrigada!", "ok", "O frete é grátis?", "Meu pedido veio errado"},
	langES: {"Hola", "Buen día", "¿Dónde está mi pedido?", "Quiero devolver un producto", "¿Hacen envíos a Monterrey?", "Gracias", "ok", "¿Aceptan pago en OXXO?"},
	langHI: {"Hi", "Hello", "Order kab tak aayega?", "Refund status?", "Payment ho gaya par order confirm nahi hua", "COD available hai?", "Thank you", "ok", "नमस्ते"},
	langID: {"Halo kak", "Pesanan saya di mana ya?", "Bisa bayar di tempat?", "Makasih kak", "ok", "Ada diskon?"},
	langDE: {"Hallo", "Wo bleibt meine Bestellung?", "Kann ich die Lieferadresse ändern?", "Danke!", "ok"},
	langAR: {"Hello", "مرحبا", "Where is my order?", "شكرا", "ok"},
}

// followUps are later texts in a session.
var followUps = [nLang][]string{
	langEN: {"Thank you!", "ok thanks", "When will it arrive?", "👍", "Perfect", "Still waiting..."},
	langPT: {"Valeu!", "ok obrigado", "Quando chega?", "👍", "Perfeito"},
	langES: {"¡Gracias!", "vale", "¿Cuándo llega?", "👍", "Perfecto"},
	langHI: {"Thanks", "ok ji", "Kab tak?", "👍", "धन्यवाद"},
	langID: {"Oke kak makasih", "Kapan sampai?", "👍", "Siap"},
	langDE: {"Danke", "Alles klar", "Wann kommt es?", "👍"},
	langAR: {"Thanks", "شكرا جزيلا", "👍"},
}

// Opt-out and opt-in keywords customers type (whole message, any case).
var optOutTexts = [...]string{"STOP", "stop", "Stop", "UNSUBSCRIBE", "unsubscribe", "STOP "}
var optInTexts = [...]string{"START", "start", "Start"}

var emojis = [...]string{"👍", "❤️", "😂", "🙏", "😍", "👌", "🔥"}

type errorCode struct {
	code    int
	title   string
	details string
}

// Meta Cloud API error codes used in failed statuses and value-level errors.
var errorCodes = map[int]errorCode{
	130429: {130429, "Rate limit hit", "Message failed to send because there were too many messages sent from this phone number in a short period of time"},
	130472: {130472, "User's number is part of an experiment", "Failed to send message because this user's phone number is part of an experiment"},
	131000: {131000, "Something went wrong", "Message failed to send due to an unknown error."},
	131026: {131026, "Message undeliverable", "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted the new Terms of Service."},
	131047: {131047, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
	131049: {131049, "This message was not delivered to maintain healthy ecosystem engagement.", "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},
	131050: {131050, "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.", "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business."},
	131053: {131053, "Media upload error", "Unable to upload the media used in the message."},
	131056: {131056, "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."},
	132001: {132001, "Template does not exist", "The template does not exist in the specified language or the template has not been approved."},
}

const errorHref = "/documentation/business-messaging/whatsapp/support/error-codes"

// Failure codes by message category, with weights. 131047 is not here: it comes from
// replies actually sent after the service window closed. 131050 also comes from
// marketing sent to customers who stopped marketing messages.
var failCodes = [nCat]struct {
	codes   []int
	weights []float64
}{
	catMarketing:      {[]int{131049, 131026, 131050, 130472, 131000}, []float64{45, 22, 14, 12, 7}},
	catUtility:        {[]int{131026, 131000, 132001, 131053, 131056}, []float64{55, 15, 12, 12, 6}},
	catAuthentication: {[]int{131026, 131000, 130429}, []float64{65, 15, 20}},
	catService:        {[]int{131026, 131000, 131053}, []float64{60, 25, 15}},
}

var failRate = [nCat]float64{catMarketing: 0.04, catUtility: 0.012, catAuthentication: 0.015, catService: 0.008}
var readRate = [nCat]float64{catMarketing: 0.52, catUtility: 0.68, catAuthentication: 0.48, catService: 0.9}

// Quick-reply buttons of templates: (text, payload).
var marketingButtons = [...][2]string{{"Shop now", "SHOP_NOW"}, {"Not interested", "NOT_INTERESTED"}, {"Stop promotions", "STOP"}}
var utilityButtons = [...][2]string{{"Confirm", "CONFIRM_DELIVERY"}, {"Change date", "RESCHEDULE"}, {"Talk to us", "AGENT"}}

// Interactive replies to the business' own interactive messages.
var replyButtons = [...][2]string{{"track", "Track my order"}, {"return", "Start a return"}, {"human", "Talk to an agent"}}
var listRows = [...][3]string{{"ship_express", "Express", "1-2 business days"}, {"ship_standard", "Standard", "3-5 business days"}, {"ship_pickup", "Pick up in store", "Ready in 2 hours"}}

// Templates that get message_template_status_update events: name, category, language.
var templates = [...][3]string{
	{"order_shipped_v2", "UTILITY", "en_US"}, {"pedido_enviado", "UTILITY", "pt_BR"},
	{"login_code", "AUTHENTICATION", "en"}, {"weekend_sale", "MARKETING", "en"},
	{"promo_relampago", "MARKETING", "pt_BR"}, {"recordatorio_pago", "UTILITY", "es_MX"},
	{"back_in_stock", "MARKETING", "en_GB"}, {"cart_reminder", "MARKETING", "id"},
}

// Click-to-WhatsApp ads: headline, body.
var ads = [...][2]string{
	{"Message us", "New season arrivals, 20% off this week"},
	{"Fale com a gente", "Frete grátis acima de R$ 99"},
	{"Chat with us", "Festive offers on all electronics"},
	{"Escríbenos", "Envío gratis en tu primer pedido"},
	{"Chat sekarang", "Gratis ongkir se-Indonesia"},
}

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
