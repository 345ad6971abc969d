package alerts

//go:generate go run gen.go
