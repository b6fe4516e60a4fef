// Package credit holds the platform's vocabulary: the domain types shared by
// every other package (subjects, records, accounts, audit entries), the
// interfaces between the parts (Store), and errors with stable kinds.
//
// Implementations live in sibling packages: storage in internal/store/...,
// code validation in internal/uscc, the catalogue in internal/catalog.
package credit
