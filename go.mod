module github.com/seed5aa6e046/syncer

go 1.26.8

require (
	github.com/klauspost/compress v1.20.4 // indirect
	golang.org/x/text v0.44.0 // indirect
)
