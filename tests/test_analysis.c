/* test_analysis.c — (being written) */
int main(void) { return 0; }
