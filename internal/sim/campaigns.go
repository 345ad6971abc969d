package sim

import (
	"math"
	"strconv"
)

// Campaigns and A/B tests (issue 16). Every marketing burst belongs to a named campaign
// (two run at any time, each for ten days, overlapping by five) and each recipient to
// variant A or B (50/50): the send sets biz_opaque_callback_data
// "campaign=<name>;variant=<A|B>", which every status echoes. The variants really differ,
// so the demo shows a winner: B is read 15% more often (relative) and, per delivered
// message, converts twice as often. Conversions are lines of our own kind
// (docs/conversions.md), written after a read campaign message (A 5%, B 8.7% of reads),
// and, without a campaign, after some read utility messages (organic, campaign none once
// their customer has no tagged delivery in the attribution window).
//
// Campaign choices draw from their own stream (kr), so the rest of the traffic is the
// one the seed gave before campaigns existed (only the read draw of B messages, one draw
// either way, sees a higher probability).

var campaignNames = [...]string{"spring_sale", "restock", "winback", "summer_drop", "flash_friday", "new_arrivals"}

const (
	campaignDays   = 10
	campaignBReadX = 1.15 // B's read probability relative to A's
)

// convP is the conversion probability of a read campaign message by variant (A, B):
// B's is 2/1.15 of A's, so B converts twice as often per delivered message.
var convP = [2]float64{0.05, 0.05 * 2 / campaignBReadX}

const organicConvP = 0.02 // read utility messages followed by a conversion

// campTag is the campaign and variant of the marketing send being planned.
type campTag struct {
	name string
	b    bool
}

// campaignAt names a campaign running at t (event time): campaign k runs from day 5k to
// day 5k+10 (UTC days since the epoch), so two run at once; the draw picks one.
func (s *Sim) campaignAt(t float64) string {
	d := int(math.Floor(t / day))
	k := d/(campaignDays/2) - s.kr.intn(2)
	k = ((k % len(campaignNames)) + len(campaignNames)) % len(campaignNames)
	return campaignNames[k]
}

func (c *campTag) opaque() string {
	v := "A"
	if c.b {
		v = "B"
	}
	return "campaign=" + c.name + ";variant=" + v
}

// readP is the read probability of message m of category cat.
func (s *Sim) readP(m *omsg, cat uint8) float64 {
	p := readRate[cat]
	if m.kcamp == 2 {
		p = min(p*campaignBReadX, 1)
	}
	return p
}

// afterRead plans what follows a read campaign or utility message besides the customer's
// reply: maybe a conversion.
func (s *Sim) afterRead(m *omsg, readAt float64, p int, c int32) {
	switch {
	case m.kcamp != 0:
		if s.kr.chance(convP[m.kcamp-1]) {
			s.conversion(readAt+s.kr.lognorm(3600, 1.3), p, c)
		}
	case m.cat == catUtility:
		if s.kr.chance(organicConvP) {
			s.conversion(readAt+s.kr.lognorm(1800, 1), p, c)
		}
	}
}

var convPrices = [...]float64{19.9, 24.5, 39, 49.9, 79.9, 129}

// conversion writes a conversion line of customer c of number p at event time t: a
// purchase (in BRL for customers in Brazil, else EUR) or, for 8%, a signup of value 0.
func (s *Sim) conversion(t float64, p int, c int32) {
	name, value := "purchase", convPrices[s.kr.intn(len(convPrices))]*float64(1+s.kr.intn(2))
	if s.kr.chance(0.08) {
		name, value = "signup", 0
	}
	cur := "EUR"
	if countries[s.custCountry[c]].iso == "BR" {
		cur = "BRL"
	}
	b := append([]byte(nil), `{"waba_conversion":{`...)
	b = appendKV(b, "phone_number_id", phones[p].id)
	b = append(b, ',')
	b = appendKV(b, "customer", s.custWA[c])
	b = append(b, ',')
	b = appendKV(b, "name", name)
	b = append(b, `,"value":`...)
	b = strconv.AppendFloat(b, math.Round(value*100)/100, 'f', -1, 64)
	b = append(b, ',')
	b = appendKV(b, "currency", cur)
	b = append(b, ',')
	b = appendKVInt(b, "timestamp", int64(math.Floor(t)))
	b = append(b, "}}"...)
	s.stats.Conversions++
	// written by the business a few seconds after the fact (its own delay draw, so the
	// traffic stream is not shifted)
	s.out.Push(outItem{at: micros(t + s.kr.uniform(1, 30)), seq: s.nextSeq(), line: b, kind: itemLine})
}
