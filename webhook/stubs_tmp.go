package webhook

import "github.com/valyala/fastjson"

func (d *Decoder) tryGupshup(v *fastjson.Value, recvTime int64) bool { return false }
func (d *Decoder) tryInfobip(v *fastjson.Value, recvTime int64) bool { return false }
func (d *Decoder) decodeTwilio(b []byte, recvTime int64)              { d.fail(errTwilioForm) }
func looksLikeForm(b []byte) bool                                     { return false }
