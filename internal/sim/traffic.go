package sim

import (
	"encoding/base64"
	"math"
	"strconv"
)

// Traffic model. Intensity is given in lines per simulated second; the sources below
// are driven by a base message rate of intensity/linesPerMsg, and linesPerMsg is
// calibrated so that the realized lines per simulated second match the intensity
// (TestRate checks it). Sessions add replies, inbound messages and in-window templates
// on top of the base rate, so there are about 2.3-2.6 lines per distinct outbound message.
const linesPerMsg = 1.85

// Shares of the outbound messages by traffic source.
const (
	shareUtility        = 0.19 // utility templates outside sessions (diurnal)
	shareAuthentication = 0.14 // one-time codes (diurnal, no weekend dip)
	shareMarketing      = 0.36 // campaigns
	shareSessions       = 0.15 // customer sessions started per message (each ~1.6 replies + templates)
	adminLinesEvery     = 600  // one account-level webhook per this many lines ...
	adminMinInterval    = 6 * 3600.0
)

const day = 86400.0

// diurnalRaw is the relative traffic at local hour h: quiet at night, a late-morning
// peak and an evening peak.
func diurnalRaw(h float64) float64 {
	a := (h - 11.5) / 3
	b := (h - 20) / 2.2
	return 0.18 + 0.9*math.Exp(-a*a) + 0.75*math.Exp(-b*b)
}

// diurnalMean normalizes diurnalRaw to a daily mean of 1.
var diurnalMean = func() float64 {
	sum := 0.0
	for i := range 1440 {
		sum += diurnalRaw(float64(i) / 60)
	}
	return sum / 1440
}()

// diurnal returns the traffic factor at t for a business in time zone tz (mean 1 over a
// weekday), with a weekend dip unless flat.
func diurnal(t, tz float64, weekendDip bool) float64 {
	lt := t + tz*3600
	h := math.Mod(lt/3600, 24)
	if h < 0 {
		h += 24
	}
	f := diurnalRaw(h) / diurnalMean
	if weekendDip {
		// 1970-01-01 was a Thursday: Monday is 0.
		if wd := int64(math.Floor(lt/day)+3) % 7; wd >= 5 {
			f *= 0.8
		}
	}
	return f
}

// msgRate is phone p's outbound messages per simulated second at t.
func (s *Sim) msgRate(t float64, p int) float64 {
	return s.rate.at(t) / linesPerMsg * phones[p].share
}

// makeCustomers draws the customer pool: wa_id, profile name, country, home number.
func (s *Sim) makeCustomers() {
	n := s.opts.Customers
	s.custWA = make([]string, 0, n)
	s.custName = make([]string, 0, n)
	s.custCountry = make([]uint8, 0, n)
	s.pairIdx = make([]int32, n*nPhones)
	weights := make([]float64, len(countries))
	for i, c := range countries {
		weights[i] = c.weight
	}
	used := make(map[string]struct{}, n)
	var buf []byte
	for len(s.custWA) < n {
		c := s.r.pick(weights)
		buf = waID(&s.r, buf[:0], c)
		if _, dup := used[string(buf)]; dup {
			continue
		}
		wa := string(buf)
		used[wa] = struct{}{}
		i := int32(len(s.custWA))
		s.custWA = append(s.custWA, wa)
		s.custCountry = append(s.custCountry, uint8(c))
		s.custName = append(s.custName, s.profileName(countries[c].lang))
		home := countries[c].home
		if s.r.chance(0.1) {
			home = s.r.intn(nPhones)
		}
		s.phoneCust[home] = append(s.phoneCust[home], i)
	}
	for p := range s.phoneCust {
		if len(s.phoneCust[p]) == 0 { // tiny pools: every number needs customers
			s.phoneCust[p] = append(s.phoneCust[p], int32(s.r.intn(n)))
		}
	}
}

func (s *Sim) profileName(lang int) string {
	switch r := s.r.float(); {
	case r < 0.04:
		return oddNames[s.r.intn(len(oddNames))]
	case r < 0.15:
		return firstNames[lang][s.r.intn(len(firstNames[lang]))]
	default:
		f := firstNames[lang][s.r.intn(len(firstNames[lang]))]
		l := lastNames[lang][s.r.intn(len(lastNames[lang]))]
		if l == "" {
			return f
		}
		return f + " " + l
	}
}

// pickCustomer draws a customer of number p, skewed: some customers write far more.
func (s *Sim) pickCustomer(p int) int32 {
	pool := s.phoneCust[p]
	u := s.r.float()
	return pool[int(float64(len(pool))*u*u)]
}

// planSources plans the perpetual sources and the account state announced at the start.
func (s *Sim) planSources() {
	for p := range nPhones {
		for _, src := range []*poissonSrc{
			{phone: p, kind: catUtility, share: shareUtility, dip: true},
			{phone: p, kind: catAuthentication, share: shareAuthentication},
			{phone: p, kind: kindSession, share: shareSessions, dip: true},
		} {
			s.addSource(s.t0, src)
		}
		// Announced once messages of the number have been seen, so that a consumer can
		// map the display number of the quality update to its phone_number_id.
		s.quality[p] = qualityState{tier: phones[p].tier}
		s.qualityUpdate(s.t0+s.r.uniform(1800, 3600), p, "UPGRADE", phones[p].tier-1)
	}
	s.capabilityUpdate(s.t0+s.r.uniform(1800, 3600), 0)
	s.capabilityUpdate(s.t0+s.r.uniform(1800, 3600), 2)
	s.addSource(s.t0, dayPlanner{})
	s.addSource(s.t0, &adminSrc{})
}

const kindSession = 100

// poissonSrc is a non-homogeneous Poisson stream of templates or sessions of one number.
// The rate is re-read at least every minute; between reads it is taken as constant,
// which is exact for an exponential clock.
type poissonSrc struct {
	phone int
	kind  int
	share float64
	dip   bool
	armed bool // the current firing is an arrival
}

func (ps *poissonSrc) fire(s *Sim, t float64) (float64, bool) {
	if ps.armed && !s.full() {
		c := s.pickCustomer(ps.phone)
		if ps.kind == kindSession {
			s.session(t, ps.phone, c)
		} else {
			s.templateSend(t, ps.phone, c, uint8(ps.kind))
		}
	}
	rate := s.msgRate(t, ps.phone) * ps.share * diurnal(t, phones[ps.phone].tz, ps.dip)
	return ps.step(s, t, rate)
}

func (ps *poissonSrc) step(s *Sim, t, rate float64) (float64, bool) {
	const reread = 60.0
	if rate <= 0 {
		ps.armed = false
		return t + reread, true
	}
	dt := s.r.exp(1 / rate)
	if dt > reread {
		ps.armed = false
		return t + reread, true
	}
	ps.armed = true
	return t + dt, true
}

// dayPlanner plans each UTC day's marketing campaigns at local business hours.
type dayPlanner struct{}

func (dayPlanner) fire(s *Sim, t float64) (float64, bool) {
	d0 := math.Floor(t/day) * day
	for p := range nPhones {
		k := 1 + s.r.pick([]float64{35, 45, 20})
		var w [3]float64
		sum := 0.0
		for i := range k {
			w[i] = s.r.lognorm(1, 0.6)
			sum += w[i]
		}
		for i := range k {
			localH := s.r.uniform(9.5, 19.5)
			at := d0 + math.Mod(localH-phones[p].tz+48, 24)*3600
			if at < t {
				continue
			}
			s.addSource(at, &campaign{phone: p, weight: w[i] / sum})
		}
	}
	return d0 + day, true
}

// campaign sends one marketing template to each of n customers of a number, 20-80 a
// second; n is sized at its start from the intensity then.
type campaign struct {
	name          string // the named campaign of the burst (campaigns.go)
	phone         int
	weight        float64
	n, i          int
	first, stride int
	rate          float64
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func (c *campaign) fire(s *Sim, t float64) (float64, bool) {
	pool := s.phoneCust[c.phone]
	if c.n == 0 {
		c.n = int(math.Round(s.msgRate(t, c.phone) * shareMarketing * day * c.weight))
		c.n = min(c.n, len(pool))
		if c.n <= 0 {
			return 0, false
		}
		c.rate = s.r.uniform(20, 80)
		c.first = s.r.intn(len(pool))
		c.stride = 1
		if len(pool) > 2 {
			for {
				c.stride = 1 + s.r.intn(len(pool)-1)
				if gcd(c.stride, len(pool)) == 1 {
					break
				}
			}
		}
		if s.r.chance(0.15) {
			for range 1 + s.r.intn(3) {
				s.valueError(t+s.r.uniform(0, float64(c.n)/c.rate), c.phone)
			}
		}
	}
	if !s.full() {
		cust := pool[(c.first+c.i*c.stride)%len(pool)]
		// most businesses suppress customers who opted out; the rest fail with 131050
		if !s.optedOut(s.pair(cust, c.phone), t) || s.r.chance(0.25) {
			if c.name == "" {
				c.name = s.campaignAt(t)
			}
			s.campV = campTag{name: c.name, b: s.kr.chance(0.5)}
			s.camp = &s.campV
			s.templateSend(t, c.phone, cust, catMarketing)
			s.camp = nil
		}
	}
	c.i++
	if c.i >= c.n {
		return 0, false
	}
	return t + s.r.uniform(0.5, 1.5)/c.rate, true
}

// adminSrc emits account-level webhooks (quality, capability, templates, account
// updates, user preferences, value-level errors) at a rate tied to the traffic.
type adminSrc struct{ ps poissonSrc }

func (a *adminSrc) fire(s *Sim, t float64) (float64, bool) {
	if a.ps.armed {
		s.adminEvent(t)
	}
	return a.ps.step(s, t, s.rate.at(t)/adminLinesEvery+1/adminMinInterval)
}

// ---------------------------------------------------------------------------------
// ids

func (s *Sim) wamid(wa string, inbound bool) string {
	var raw [64]byte
	b := append(raw[:0], 0x1c, 0x18, byte(len(wa)))
	b = append(b, wa...)
	k := 18
	if inbound {
		b = append(b, 0x15, 0x02, 0x00, 0x12, 0x18, 0x14)
		k = 20
	} else {
		b = append(b, 0x15, 0x02, 0x00, 0x11, 0x18, 0x12)
	}
	for range k {
		b = append(b, "0123456789ABCDEF"[s.r.intn(16)])
	}
	b = append(b, 0)
	var enc [96]byte
	out := append(enc[:0], "wamid."...)
	out = base64.StdEncoding.AppendEncode(out, b)
	return string(out)
}

func (s *Sim) mediaFields(dst []byte, mime string) []byte {
	dst = appendKV(dst, "mime_type", mime)
	var h [32]byte
	for i := 0; i < 32; i += 8 {
		v := s.r.u64()
		for j := range 8 {
			h[i+j] = byte(v >> (8 * j))
		}
	}
	dst = append(dst, ',')
	dst = appendKV(dst, "sha256", base64.StdEncoding.EncodeToString(h[:]))
	dst = append(dst, `,"id":"`...)
	dst = strconv.AppendInt(dst, 1e15+int64(s.r.u64()%9e15), 10)
	return append(dst, '"')
}

// ---------------------------------------------------------------------------------
// outbound messages

// sent describes a planned outbound message for the traffic that follows it.
type sent struct {
	m      *omsg
	visD   float64 // time of its first delivered/read status, -1 never
	readAt float64 // -1: never read
}

// Flags of outbound.
const (
	obAttentive = 1 << iota // the customer is in the chat: fast delivery and read
	obVoice                 // a voice note: gets `played` after read
)

func (s *Sim) optedOut(pair int32, t float64) bool {
	st := s.state(pair)
	it := int64(t)
	return st.optOut > 0 && st.optOut <= it && !(st.optIn > st.optOut && st.optIn <= it)
}

func (s *Sim) setOptOut(pair int32, t float64) {
	st := s.state(pair)
	if s.optedOut(pair, t) {
		return
	}
	st.optOut = int64(t)
	if len(s.stopped) < 512 {
		s.stopped = append(s.stopped, pair)
	} else {
		s.stopped[s.stoppedN%len(s.stopped)] = pair
	}
	s.stoppedN++
}

func (s *Sim) setOptIn(pair int32, t float64) {
	if s.optedOut(pair, t) {
		s.state(pair).optIn = int64(t)
	}
}

func (s *Sim) newMsg(p int, c int32, cat uint8) *omsg {
	m := &omsg{cust: c, phone: uint8(p), cat: cat, dsec: -1, priceOn: stDelivered}
	m.id = s.wamid(s.custWA[c], false)
	if s.observe != nil {
		s.observe(m.id, cat)
	}
	return m
}

// outbound plans one business message of category cat sent at t: its statuses, their
// pricing-model events, and what a reply to it may refer to.
func (s *Sim) outbound(t float64, p int, c int32, cat uint8, flags int) sent {
	m := s.newMsg(p, c, cat)
	res := sent{m: m, visD: -1, readAt: -1}
	s.tagOutbound(m, cat)
	if s.failOutbound(t, m, s.pair(c, p), cat) {
		return res
	}
	attentive := flags&obAttentive != 0
	ts := t + s.r.lognorm(0.5, 0.5)
	s.pushStatus(m, stSent, ts)
	s.pushModel(int64(ts), phaseSend, modelEv{m: m})
	if s.r.chance(0.025) {
		return res // the phone stays offline: only `sent`
	}
	td := s.deliverTime(ts, attentive)
	read := s.r.chance(s.readP(m, cat))
	m.skipDeliv = read && s.r.chance(0.015)
	if !m.skipDeliv {
		s.pushStatus(m, stDelivered, td)
	}
	res.visD = td
	if read {
		s.readOutbound(m, &res, td, attentive, flags&obVoice != 0)
	}
	m.dsec = int64(math.Floor(res.visD))
	return res
}

// tagOutbound sets the biz_opaque_callback_data of m: an order reference on some utility
// messages, the running campaign on marketing ones.
func (s *Sim) tagOutbound(m *omsg, cat uint8) {
	if cat == catUtility && s.r.chance(0.3) {
		m.opaque = "order-" + strconv.Itoa(10000000+s.r.intn(90000000))
	}
	if cat == catMarketing && s.camp != nil {
		m.opaque = s.camp.opaque()
		m.kcamp = 1
		if s.camp.b {
			m.kcamp = 2
		}
	}
}

// failOutbound decides whether m, sent at t to pair, fails (marketing to an opted-out
// customer always does) and if so plans its statuses and reports true.
func (s *Sim) failOutbound(t float64, m *omsg, pair int32, cat uint8) bool {
	switch {
	case cat == catMarketing && s.optedOut(pair, t):
		m.err = 131050
	case s.r.chance(failRate[cat]):
		fc := &failCodes[cat]
		m.err = int32(fc.codes[s.r.pick(fc.weights)])
	}
	if m.err == 0 {
		return false
	}
	tf := t + s.r.uniform(0.3, 3)
	if (m.err == 131026 || m.err == 131000) && s.r.chance(0.5) {
		// accepted and sent first, failed later: classified at its send, priced on
		// `sent`, opens nothing
		ts := t + s.r.uniform(0.3, 2)
		s.pushStatus(m, stSent, ts)
		s.pushModel(int64(ts), phaseSend, modelEv{m: m})
		if s.r.chance(0.5) {
			tf = ts + s.r.uniform(2, 60)
		} else {
			tf = ts + s.r.uniform(60, 7200)
		}
	}
	s.pushStatus(m, stFailed, tf)
	return true
}

// deliverTime draws when a message sent at ts reaches the phone.
func (s *Sim) deliverTime(ts float64, attentive bool) float64 {
	switch r := s.r.float(); {
	case attentive || r < 0.85:
		return ts + s.r.lognorm(1.5, 0.8)
	case r < 0.97:
		return ts + s.r.lognorm(600, 1)
	default:
		return ts + s.r.uniform(3600, 2*day)
	}
}

// readOutbound plans the read (and, for voice, played) status of m delivered at td and
// records it in res.
func (s *Sim) readOutbound(m *omsg, res *sent, td float64, attentive, voice bool) {
	var tr float64
	r := s.r.float()
	switch {
	case attentive && r < 0.7:
		tr = td + s.r.uniform(0.5, 20)
	case attentive:
		tr = td + s.r.lognorm(180, 0.8)
	case r < 0.25:
		tr = td + s.r.uniform(0.2, 15)
	case r < 0.7:
		tr = td + s.r.lognorm(360, 1.2)
	default:
		tr = td + min(s.r.lognorm(4*3600, 1), 5*day)
	}
	s.pushStatus(m, stRead, tr)
	res.readAt = tr
	if m.skipDeliv {
		m.priceOn = stRead // Meta sends only `read` when both happen together
		res.visD = tr
	} else if s.r.chance(0.25) {
		m.priceOn = stRead
	}
	if voice && s.r.chance(0.8) {
		s.pushStatus(m, stPlayed, tr+s.r.uniform(1, 40))
	}
}

// templateSend sends a template and plans the customer's reactions to it.
func (s *Sim) templateSend(t float64, p int, c int32, cat uint8) {
	o := s.outbound(t, p, c, cat, 0)
	if o.readAt < 0 {
		return
	}
	s.afterRead(o.m, o.readAt, p, c)
	lang := countries[s.custCountry[c]].lang
	pair := s.pair(c, p)
	switch cat {
	case catMarketing:
		switch r := s.r.float(); {
		case r < 0.05:
			b := marketingButtons[s.r.pick([]float64{55, 30, 15})]
			at := o.readAt + s.r.lognorm(40, 1)
			s.inbound(at, p, c, inButton, o.m.id, b[0], b[1], false)
			if b[1] == "STOP" {
				s.setOptOut(pair, at)
			}
		case r < 0.075:
			at := o.readAt + s.r.lognorm(60, 1)
			s.inbound(at, p, c, inText, o.m.id, followUps[lang][s.r.intn(len(followUps[lang]))], "", false)
			if s.r.chance(0.6) {
				s.reply(at, p, c)
			}
		case r < 0.083:
			at := o.readAt + s.r.lognorm(120, 1)
			s.inbound(at, p, c, inText, "", optOutTexts[s.r.intn(len(optOutTexts))], "", false)
			s.setOptOut(pair, at)
			if s.r.chance(0.4) {
				back := at + s.r.uniform(3600, 2*day)
				s.inbound(back, p, c, inText, "", optInTexts[s.r.intn(len(optInTexts))], "", false)
				s.setOptIn(pair, back)
			}
		case r < 0.085:
			at := o.readAt + s.r.uniform(5, 900)
			s.userPreference(at, p, c, true)
			s.setOptOut(pair, at)
		}
	case catUtility:
		if s.r.chance(0.05) {
			b := utilityButtons[s.r.pick([]float64{60, 25, 15})]
			at := o.readAt + s.r.lognorm(45, 1)
			s.inbound(at, p, c, inButton, o.m.id, b[0], b[1], false)
			if b[1] == "AGENT" {
				s.reply(at, p, c)
			}
		}
	}
}

// reply plans a business free-form answer to an inbound message at t (most within
// minutes, some hours later).
func (s *Sim) reply(t float64, p int, c int32) sent {
	d := s.r.lognorm(70, 1)
	if s.r.chance(0.1) {
		d = s.r.lognorm(2*3600, 0.8)
	}
	return s.outbound(t+d, p, c, catService, obAttentive)
}

// Inbound message types.
const (
	inText = iota
	inImage
	inAudio
	inVideo
	inDocument
	inSticker
	inLocation
	inContacts
	inOrder
	inUnsupported
	inInteractiveButton
	inInteractiveList
	inButton
	inReaction
)

var firstTypeWeights = []float64{inText: 60, inImage: 11, inAudio: 7, inVideo: 3, inDocument: 4, inSticker: 4, inLocation: 3, inContacts: 2, inOrder: 3, inUnsupported: 1}

// session plans a customer-initiated conversation: an inbound message (sometimes from a
// click-to-WhatsApp ad), the business' reply (or none), and what follows in the window.
func (s *Sim) session(t float64, p int, c int32) {
	lang := countries[s.custCountry[c]].lang
	referral := s.r.chance(0.025)
	typ := inText
	if !referral {
		typ = s.r.pick(firstTypeWeights)
	}
	s.inbound(t, p, c, typ, "", texts[lang][s.r.intn(len(texts[lang]))], "", referral)
	switch r := s.r.float(); {
	case r < 0.07:
		return // never answered: the window closes unanswered
	case r < 0.085:
		// answered after the window closed: Meta refuses the free-form message
		m := s.newMsg(p, c, catService)
		m.err = 131047
		s.pushStatus(m, stFailed, t+cswSeconds+s.r.uniform(600, 6*3600))
		return
	}
	d := s.r.lognorm(75, 1)
	if s.r.chance(0.12) {
		d = s.r.lognorm(40*60, 0.9)
	}
	flags := obAttentive
	if s.r.chance(0.04) {
		flags |= obVoice
	}
	rep := s.outbound(t+d, p, c, catService, flags)
	// After an ad click only the reply may open the free entry point window: later
	// business messages wait for its delivery.
	after := t + d
	if referral && rep.visD >= 0 {
		after = rep.visD + 1
	}
	if s.r.chance(0.3) {
		ti := max(t+d+s.r.uniform(3, 30), after+s.r.uniform(0, 5))
		im := s.outbound(ti, p, c, catService, obAttentive)
		if im.readAt >= 0 && s.r.chance(0.7) {
			typ := inInteractiveButton
			if s.r.chance(0.35) {
				typ = inInteractiveList
			}
			s.inbound(im.readAt+s.r.uniform(2, 60), p, c, typ, im.m.id, "", "", false)
		}
	}
	if rep.readAt >= 0 {
		switch r := s.r.float(); {
		case r < 0.4:
			tf := rep.readAt + s.r.uniform(10, 400)
			s.inbound(tf, p, c, inText, "", followUps[lang][s.r.intn(len(followUps[lang]))], "", false)
			if s.r.chance(0.85) {
				s.reply(tf, p, c)
			}
		case r < 0.5:
			s.inbound(rep.readAt+s.r.uniform(2, 60), p, c, inReaction, rep.m.id, "", "", false)
		}
		if s.r.chance(0.06) {
			// a promotion while the service window is open
			s.templateSend(rep.readAt+s.r.uniform(120, 3*3600), p, c, catMarketing)
		}
	}
	if s.r.chance(0.15) {
		// an order update (utility) inside the service window
		tu := max(t+min(s.r.lognorm(900, 1.3), 20*3600), after+s.r.uniform(0, 600))
		s.templateSend(tu, p, c, catUtility)
	}
	if referral && rep.visD >= 0 && s.r.chance(0.6) {
		// an offer to the ad lead inside the free entry point window
		s.templateSend(rep.visD+s.r.uniform(3600, 60*3600), p, c, catMarketing)
	}
}

var inTypeNames = [...]string{
	inText: "text", inImage: "image", inAudio: "audio", inVideo: "video", inDocument: "document",
	inSticker: "sticker", inLocation: "location", inContacts: "contacts", inOrder: "order",
	inUnsupported: "unsupported", inInteractiveButton: "interactive", inInteractiveList: "interactive",
	inButton: "button", inReaction: "reaction",
}

// inbound plans a customer message of type typ at t. ctx is the id of the business
// message it answers (context.id) or the reacted-to message; text and payload feed the
// text and button bodies.
func (s *Sim) inbound(t float64, p int, c int32, typ int, ctx, text, payload string, referral bool) {
	wa := s.custWA[c]
	ph := &phones[p]
	lang := countries[s.custCountry[c]].lang
	b := appendEnvelopeStart(nil, p)
	b = append(b, `"contacts":[{"profile":{`...)
	b = appendKV(b, "name", s.custName[c])
	b = append(b, `},"wa_id":"`...)
	b = append(b, wa...)
	b = append(b, `"}],"messages":[{`...)
	if referral {
		b = s.appendReferral(b)
		b = append(b, ',')
	}
	if ctx != "" && typ != inReaction {
		b = append(b, `"context":{"from":"`...)
		b = append(b, ph.display...)
		b = append(b, `","id":"`...)
		b = append(b, ctx...)
		b = append(b, `"},`...)
	}
	b = appendKV(b, "from", wa)
	b = append(b, ',')
	b = appendKV(b, "id", s.wamid(wa, true))
	b = append(b, ',')
	sec := int64(math.Floor(t))
	b = appendKVIntStr(b, "timestamp", sec)
	b = append(b, ',')
	b = appendKV(b, "type", inTypeNames[typ])
	b = append(b, ',')
	b = s.appendInboundBody(b, p, c, typ, lang, ctx, text, payload)
	b = append(b, "}]"...)
	b = appendEnvelopeEnd(b, "messages")
	s.pushLine(t, b)
	s.pushModel(sec, phaseInbound, modelEv{pair: s.pair(c, p), referral: referral})
}

// appendInboundBody appends the type-specific field of an inbound message of type typ.
func (s *Sim) appendInboundBody(b []byte, p int, c int32, typ, lang int, ctx, text, payload string) []byte {
	switch typ {
	case inText:
		b = append(b, `"text":{`...)
		b = appendKV(b, "body", text)
		b = append(b, '}')
	case inImage, inAudio, inVideo, inDocument, inSticker:
		b = s.appendInboundMedia(b, typ, lang)
	case inLocation:
		b = append(b, `"location":{"latitude":`...)
		b = strconv.AppendFloat(b, s.r.uniform(-34, 52), 'f', 9, 64)
		b = append(b, `,"longitude":`...)
		b = strconv.AppendFloat(b, s.r.uniform(-118, 120), 'f', 9, 64)
		b = append(b, '}')
	case inContacts:
		b = s.appendSharedContact(b, c)
	case inOrder:
		b = s.appendOrder(b, p)
	case inUnsupported:
		b = append(b, `"errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}]`...)
	case inInteractiveButton, inInteractiveList:
		b = s.appendInteractive(b, typ)
	case inButton:
		b = append(b, `"button":{`...)
		b = appendKV(b, "payload", payload)
		b = append(b, ',')
		b = appendKV(b, "text", text)
		b = append(b, '}')
	case inReaction:
		b = append(b, `"reaction":{`...)
		b = appendKV(b, "message_id", ctx)
		if s.r.chance(0.95) { // a removed reaction has no emoji
			b = append(b, ',')
			b = appendKV(b, "emoji", emojis[s.r.intn(len(emojis))])
		}
		b = append(b, '}')
	}
	return b
}

// appendInboundMedia appends the media object of an image, audio, video, document or sticker.
func (s *Sim) appendInboundMedia(b []byte, typ, lang int) []byte {
	switch typ {
	case inImage:
		b = append(b, `"image":{`...)
		if s.r.chance(0.25) {
			b = appendKV(b, "caption", texts[lang][s.r.intn(len(texts[lang]))])
			b = append(b, ',')
		}
		b = s.mediaFields(b, "image/jpeg")
		b = append(b, '}')
	case inAudio:
		b = append(b, `"audio":{`...)
		b = s.mediaFields(b, "audio/ogg; codecs=opus")
		b = append(b, `,"voice":true}`...)
	case inVideo:
		b = append(b, `"video":{`...)
		b = s.mediaFields(b, "video/mp4")
		b = append(b, '}')
	case inDocument:
		b = append(b, `"document":{"filename":"`...)
		b = append(b, [...]string{"invoice", "receipt", "order", "boleto", "scan"}[s.r.intn(5)]...)
		b = append(b, '_')
		b = strconv.AppendInt(b, int64(1000+s.r.intn(9000)), 10)
		b = append(b, `.pdf",`...)
		b = s.mediaFields(b, "application/pdf")
		b = append(b, '}')
	case inSticker:
		b = append(b, `"sticker":{`...)
		b = s.mediaFields(b, "image/webp")
		b = append(b, `,"animated":`...)
		b = strconv.AppendBool(b, s.r.chance(0.2))
		b = append(b, '}')
	}
	return b
}

// appendInteractive appends the reply of a button or list interactive message.
func (s *Sim) appendInteractive(b []byte, typ int) []byte {
	switch typ {
	case inInteractiveButton:
		r := replyButtons[s.r.intn(len(replyButtons))]
		b = append(b, `"interactive":{"type":"button_reply","button_reply":{`...)
		b = appendKV(b, "id", r[0])
		b = append(b, ',')
		b = appendKV(b, "title", r[1])
		b = append(b, "}}"...)
	case inInteractiveList:
		r := listRows[s.r.intn(len(listRows))]
		b = append(b, `"interactive":{"type":"list_reply","list_reply":{`...)
		b = appendKV(b, "id", r[0])
		b = append(b, ',')
		b = appendKV(b, "title", r[1])
		b = append(b, ',')
		b = appendKV(b, "description", r[2])
		b = append(b, "}}"...)
	}
	return b
}

// appendSharedContact appends a shared contact card (a random person of c's country).
func (s *Sim) appendSharedContact(b []byte, c int32) []byte {
	cc := int(s.custCountry[c])
	l := countries[cc].lang
	first := firstNames[l][s.r.intn(len(firstNames[l]))]
	shared := string(waID(&s.r, nil, cc))
	b = append(b, `"contacts":[{"name":{`...)
	b = appendKV(b, "first_name", first)
	b = append(b, ',')
	b = appendKV(b, "formatted_name", first)
	b = append(b, `},"phones":[{"phone":"+`...)
	b = append(b, shared...)
	b = append(b, `","type":"CELL","wa_id":"`...)
	b = append(b, shared...)
	b = append(b, `"}]}]`...)
	return b
}

// appendOrder appends a catalog order of one to three items in phone p's currency.
func (s *Sim) appendOrder(b []byte, p int) []byte {
	b = append(b, `"order":{"catalog_id":"`...)
	b = strconv.AppendInt(b, 300000000000000+int64(p)*1111111, 10)
	b = append(b, `","product_items":[`...)
	for i := range 1 + s.r.intn(3) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"product_retailer_id":"SKU-`...)
		b = strconv.AppendInt(b, int64(10000+s.r.intn(90000)), 10)
		b = append(b, `","quantity":`...)
		b = strconv.AppendInt(b, int64(1+s.r.intn(3)), 10)
		b = append(b, `,"item_price":`...)
		b = strconv.AppendFloat(b, float64(100+s.r.intn(9900))/100, 'f', -1, 64)
		b = append(b, `,"currency":"`...)
		b = append(b, [...]string{"USD", "BRL", "INR", "IDR"}[p]...)
		b = append(b, `"}`...)
	}
	b = append(b, "]}"...)
	return b
}

func (s *Sim) appendReferral(b []byte) []byte {
	ad := ads[s.r.intn(len(ads))]
	b = append(b, `"referral":{"source_url":"https:\/\/fb.me\/`...)
	for range 9 {
		b = append(b, b64url[s.r.intn(62)])
	}
	b = append(b, `","source_id":"`...)
	b = strconv.AppendInt(b, 120200000000000000+int64(s.r.u64()%99999999999999), 10)
	b = append(b, `","source_type":"ad",`...)
	b = appendKV(b, "body", ad[1])
	b = append(b, ',')
	b = appendKV(b, "headline", ad[0])
	b = append(b, `,"media_type":"image","image_url":"https:\/\/scontent.xx.fbcdn.net\/v\/t45.1600-4\/`...)
	b = strconv.AppendInt(b, int64(s.r.u64()%1e15), 10)
	b = append(b, `_n.jpg","ctwa_clid":"`...)
	for range 100 + s.r.intn(40) {
		b = append(b, b64url[s.r.intn(64)])
	}
	return append(b, `"}`...)
}
