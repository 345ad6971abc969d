package window

import "github.com/waba-exporter/waba_exporter/campaign"

// encCampaigns writes the campaign state (snapshot version 6).
func encCampaigns(e *enc, cs *campaigns) {
	st := cs.tbl.State()
	e.u32(uint32(len(st.Slots)))
	for _, sl := range st.Slots {
		e.str(sl.Name)
		e.strs(sl.Variants)
		e.i64(sl.Last)
		e.u32(sl.Gen)
		e.b = append(e.b, b2b(sl.Live))
	}
	e.u32(uint32(len(st.Free)))
	for _, f := range st.Free {
		e.u32(uint32(f))
	}
	x := st.Stats
	for _, v := range []uint64{x.Tagged, x.NoTag, x.Refused, x.CampaignOverflow, x.VariantOverflow, x.Expired} {
		e.u64(v)
	}
	e.u64s(x.RefusedBy[:])
	names, over, ref := cs.names.NamesState()
	e.strs(names)
	e.u64(over)
	e.u64(ref)
	encGenMap(e, &cs.custs, func(e *enc, v *campCust) {
		e.u32(v.lastD)
		e.u64(v.lastKey)
		e.u16(v.biz)
		e.u32(uint32(len(v.touches)))
		for _, t := range v.touches {
			e.i64(t.Time)
			e.u64(t.Key)
			e.u64(uint64(t.Ref))
		}
	})
	encGenMap(e, &cs.pend, func(e *enc, v *uint32) { e.u32(*v) })
	e.u64(cs.evict[0])
	e.u64(cs.evict[1])
	e.u32(uint32(len(cs.funnel)))
	for k, fc := range cs.funnel {
		e.u16(k.biz)
		e.u64(uint64(k.ref))
		e.u64s(fc.Status[:])
		e.u64(fc.Replies)
		e.u64(fc.Clicks)
		e.u64(fc.OptOuts)
	}
	e.u32(uint32(len(cs.latency)))
	for r, h := range cs.latency {
		e.u64(uint64(r))
		e.hist(h)
	}
	e.u32(uint32(len(cs.conv)))
	for k, n := range cs.conv {
		e.u64(uint64(k.ref))
		e.str(k.name)
		e.u64(n)
	}
	e.u32(uint32(len(cs.value)))
	for k, v := range cs.value {
		e.u64(uint64(k.ref))
		e.str(k.name)
		e.f64(v)
	}
	e.i64(cs.nextExpire)
	e.u64(cs.convSeq)
	e.u32(uint32(len(cs.convq)))
	for id, pc := range cs.convq {
		e.u64(id)
		e.u64(pc.cust)
		e.str(pc.name)
		e.str(pc.currency)
		e.f64(pc.value)
	}
}

// decCampaigns reads what encCampaigns wrote into cs (made from the current config).
func decCampaigns(d *dec, cs *campaigns) {
	var st campaign.TableState
	d.each(func() {
		var sl campaign.SlotState
		sl.Name = d.str()
		sl.Variants = d.strs()
		sl.Last = d.i64()
		sl.Gen = d.u32()
		sl.Live = d.n(1)[0] != 0
		st.Slots = append(st.Slots, sl)
	})
	d.each(func() { st.Free = append(st.Free, int(d.u32())) })
	x := &st.Stats
	for _, p := range []*uint64{&x.Tagged, &x.NoTag, &x.Refused, &x.CampaignOverflow, &x.VariantOverflow, &x.Expired} {
		*p = d.u64()
	}
	d.u64s(x.RefusedBy[:])
	cs.tbl.SetState(st)
	names := d.strs()
	over, ref := d.u64(), d.u64()
	cs.names.SetNamesState(names, over, ref)
	decGenMap(d, &cs.custs, func(d *dec, v *campCust) {
		v.lastD = d.u32()
		v.lastKey = d.u64()
		v.biz = d.u16()
		d.each(func() {
			v.touches = append(v.touches, campaign.Touch{Time: d.i64(), Key: d.u64(), Ref: campaign.Ref(d.u64())})
		})
	})
	decGenMap(d, &cs.pend, func(d *dec, v *uint32) { *v = d.u32() })
	cs.evict[0], cs.evict[1] = d.u64(), d.u64()
	d.each(func() {
		k := campKey{biz: d.u16(), ref: campaign.Ref(d.u64())}
		fc := &CampaignCounters{}
		d.u64s(fc.Status[:])
		fc.Replies, fc.Clicks, fc.OptOuts = d.u64(), d.u64(), d.u64()
		cs.funnel[k] = fc
	})
	d.each(func() {
		r := campaign.Ref(d.u64())
		h := newHistogram(campaignDeliveredToReadBuckets)
		d.hist(&h)
		cs.latency[r] = &h
	})
	d.each(func() {
		k := convKey{ref: campaign.Ref(d.u64()), name: d.str()}
		cs.conv[k] = d.u64()
	})
	d.each(func() {
		k := convKey{ref: campaign.Ref(d.u64()), name: d.str()}
		cs.value[k] = d.f64()
	})
	cs.nextExpire = d.i64()
	cs.convSeq = d.u64()
	d.each(func() {
		id := d.u64()
		cs.convq[id] = pendConv{cust: d.u64(), name: d.str(), currency: d.str(), value: d.f64()}
	})
}
